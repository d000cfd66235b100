#!/bin/bash
# Instructions per agent cycle (user space), under callgrind: deterministic to ~1 % whatever else
# the machine does, where CPU % moves with the machine's state (docs/performance.md, third pass).
# Usage: bench/agent-callgrind.sh BIN PORT PIDFILE [SECONDS]
#   BIN: a built binary (dist/hacheck) or "node dist/hacheck.cjs"; PORT and PIDFILE: a running nginx
#   (e.g. the one `npm run bench:agent` starts, or any test nginx). Probes: process(pidfile) + port +
#   3 URLs at --interval 100ms, as bench/agent.mjs --compare; PROBES="..." replaces them.
# Collection starts after ~14 s of start-up, right after a status-file write (its "cycle" field),
# runs SECONDS (default 15), and the agent is stopped: its last status file gives the cycle count.
set -euo pipefail
BIN=$1 P=$2 PF=$3 SECS=${4:-15}
command -v valgrind >/dev/null || { echo "agent-callgrind: valgrind is not installed (apt-get install valgrind)" >&2; exit 69; }
D=$(mktemp -d /dev/shm/hacheck-cg.XXXXXX)
trap 'rm -rf "$D"' EXIT
PROBES=${PROBES:-"--pidfile $PF --port 127.0.0.1:$P --url http://127.0.0.1:$P/ --url http://127.0.0.1:$P/health --url http://127.0.0.1:$P/status"}
# shellcheck disable=SC2086
env -u NODE_EXTRA_CA_CERTS valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/dev/null \
  $BIN agent $PROBES --no-restart --maintenance-file '' --state-dir "$D" --interval 100ms >/dev/null 2>"$D/err" &
VP=$!
cycle() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['cycle'])" "$D/status.json" 2>/dev/null || echo -1; }
sleep 14
c=$(cycle); until [ "$(cycle)" != "$c" ]; do sleep 0.005; done
c0=$(cycle)
callgrind_control -i on "$VP" >/dev/null 2>&1
sleep "$SECS"
kill "$VP"; wait "$VP" 2>/dev/null || true
c1=$(cycle)
IR=$(awk '/Collected/ {print $4}' "$D/err")
echo "$BIN: $((c1 - c0)) cycles, $IR instructions, $((IR / (c1 - c0))) per cycle"
