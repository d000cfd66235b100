// The failover lab's client: GET URL every EVERY ms (fixed rate, a new
// connection each time so a moved VIP is seen at once), each bounded by
// TIMEOUT ms, for DURATION ms; writes one JSON array of records to OUT:
// { t: start (epoch ms), ok, lb: X-LB header, status, err, ms }.
// usage: node client.mjs URL EVERY TIMEOUT DURATION OUT
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';

const [url, every, timeout, duration, out] = process.argv.slice(2);
const EVERY = Number(every);
const TIMEOUT = Number(timeout);
const recs = [];
let inflight = 0;
const t0 = Date.now();
const end = t0 + Number(duration);

function shot() {
  const t = Date.now();
  const rec = { t, ok: false, ms: 0 };
  recs.push(rec);
  inflight++;
  let settled = false;
  const finish = (err) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    rec.ms = Date.now() - t;
    if (err) rec.err = err;
    else rec.ok = rec.status === 200;
    inflight--;
  };
  const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
    rec.status = res.statusCode;
    rec.lb = res.headers['x-lb'];
    res.resume();
    res.on('end', () => finish());
    res.on('error', (e) => finish(e.code ?? 'error'));
  });
  const timer = setTimeout(() => {
    finish('timeout');
    req.destroy();
  }, TIMEOUT);
  req.on('error', (e) => finish(e.code ?? e.message));
  req.end();
}

let i = 0;
function tick() {
  const now = Date.now();
  if (now >= end) return drain();
  shot();
  i++;
  setTimeout(tick, Math.max(0, t0 + i * EVERY - Date.now()));
}
function drain() {
  const stop = Date.now() + TIMEOUT + 100;
  const wait = () => (inflight > 0 && Date.now() < stop ? setTimeout(wait, 10) : (writeFileSync(out, JSON.stringify(recs)), process.exit(0)));
  wait();
}
tick();
