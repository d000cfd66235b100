// `hacheck --format nagios` run by a real Nagios 4 daemon (Debian's nagios4-core)
// from a minimal config in a temp dir: Nagios runs each service's check every
// second (interval_length=1) and writes, per result, the state it stored, the
// output and the perfdata it split off, to a perfdata file. We run the daemon
// rather than re-implement its parsing: it is light (one process, results in
// ~1 s), and what counts is what Nagios itself stored. The perfdata Nagios
// keeps is then held to the monitoring-plugins guidelines (label charset,
// UOMs, ranges, min <= value <= max) by a strict parser here, since Nagios
// core passes perfdata through unparsed to graphing add-ons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { HACHECK, cleanEnv } from '../fixtures/hacheck.ts';
import { lab, sleep } from '../fixtures/nginx-lab.ts';

const NAGIOS = '/usr/sbin/nagios4';
const skip = !existsSync(NAGIOS) && 'nagios4 not installed (.ci/run installs nagios4-core)';

/** One perfdata item, parsed per https://www.monitoring-plugins.org/doc/guidelines.html#AEN200 */
interface Perf { label: string; value: number; uom: string; warn: string; crit: string; min?: number; max?: number }

const UOMS = ['', 's', 'ms', 'us', '%', 'B', 'KB', 'MB', 'TB', 'c'];
const NUM = '-?\\d+(?:\\.\\d+)?';
const RANGE = new RegExp(`^(?:@?(?:~|${NUM})?:?(?:${NUM})?)$`);

/** Throws on anything the guidelines do not allow. */
export function parsePerfdata(text: string): Perf[] {
  const out: Perf[] = [];
  // value: a number, or U ("the actual value couldn't be determined"), without a UOM
  const item = new RegExp(`^('[^'=]+'|[^'=\\s]+)=(${NUM}|U(?=;|$))([a-zA-Z%]*)((?:;[^;\\s]*){0,4})$`);
  // labels with spaces are quoted: split on spaces outside quotes
  const parts = text.trim().match(/(?:'[^']*'|[^\s'])+/g) ?? [];
  for (const p of parts) {
    const m = item.exec(p);
    assert.ok(m, `perfdata item not per the guidelines: ${p}`);
    const [, label, value, uom, rest] = m;
    assert.ok(UOMS.includes(uom), `${p}: UOM "${uom}" is not one of ${UOMS.join(' ')}`);
    const [warn = '', crit = '', min = '', max = ''] = rest.split(';').slice(1);
    for (const r of [warn, crit]) assert.match(r, RANGE, `${p}: bad range "${r}"`);
    for (const b of [min, max]) assert.match(b, new RegExp(`^(${NUM})?$`), `${p}: bad min/max "${b}"`);
    const perf: Perf = { label: label.replace(/^'|'$/g, ''), value: value === 'U' ? NaN : Number(value), uom, warn, crit, min: min ? Number(min) : undefined, max: max ? Number(max) : undefined };
    if (perf.min !== undefined && value !== 'U') assert.ok(perf.value >= perf.min, `${p}: value below min`);
    if (perf.max !== undefined && value !== 'U') assert.ok(perf.value <= perf.max, `${p}: value above max`);
    out.push(perf);
  }
  return out;
}

interface Result { service: string; state: string; stateId: number; output: string; longOutput: string; perfdata: string }

test('Nagios 4 runs hacheck: state, output and perfdata stored for healthy, critical, maintenance and bad flags', { skip, timeout: 120_000 }, async (t) => {
  const l = await lab(t);
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-nagios4-'));
  chmodSync(dir, 0o755);
  // One hook, the daemon first, then its directory: a directory removed under a live Nagios (still
  // writing results) fails with ENOTEMPTY, and with the removal in an earlier hook that failure left
  // the daemon running and this test file waiting on it for ever (seen in CI once).
  let stopNagios = async () => {};
  t.after(async () => {
    await stopNagios();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });
  mkdirSync(join(dir, 'checkresults'));

  const cfg = (name: string, probes: string) => {
    const f = join(dir, `${name}.yaml`);
    // a generous deadline: it counts from process start, and a loaded CI machine can take a second to start Node
    writeFileSync(f, `timeout: 10s\nstate_dir: ${dir}/state-${name}\nmaintenance_file: ${dir}/maint-${name}\nprobes:\n${probes}`);
    return f;
  };
  const base = `http://127.0.0.1:${l.port}`;
  // a label with a space and "=", nginx's request counter, nginx CPU (% of one core, bound 100 x CPUs), a minimum threshold
  const healthy = cfg('healthy', `  - type: http\n    name: front end=1\n    urls: ["${base}/"]\n  - type: stub_status\n    url: ${base}/status\n  - type: cpu\n    process: nginx\n    nginx_max: 100000\n  - type: memory\n    available_min: 1\n`);
  const critical = cfg('critical', `  - type: process\n    process: no-such-proc\n`);
  const maint = cfg('maint', `  - type: http\n    urls: ["${base}/"]\n`);
  writeFileSync(join(dir, 'maint-maint'), '');
  const hc = `${process.execPath} ${HACHECK}`;
  const services: Record<string, string> = {
    healthy: `${hc} -c ${healthy} --format nagios`,
    critical: `${hc} -c ${critical} --format nagios`,
    maintenance: `${hc} -c ${maint} --format nagios`,
    badflag: `${hc} --format nagios --bogus`,
    badflag_eq: `${hc} --format=nagios --bogus`,
    badflag_first: `${hc} --bogus --format nagios`,
    badvalue: `${hc} -c ${healthy} --format nagios --timeout soon`,
  };

  const perfFile = join(dir, 'perfdata');
  writeFileSync(join(dir, 'nagios.cfg'), [
    `log_file=${dir}/nagios.log`, `cfg_file=${dir}/objects.cfg`, `object_cache_file=${dir}/objects.cache`, `precached_object_file=${dir}/objects.precache`,
    `status_file=${dir}/status.dat`, 'status_update_interval=1', `nagios_user=${userInfo().username}`, `nagios_group=${spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim()}`, 'check_external_commands=0',
    `lock_file=${dir}/nagios.lock`, `temp_file=${dir}/nagios.tmp`, `temp_path=${dir}`, `check_result_path=${dir}/checkresults`, 'check_result_reaper_frequency=1',
    'retain_state_information=0', 'interval_length=1', 'max_service_check_spread=1', 'service_inter_check_delay_method=n', 'enable_notifications=0',
    "illegal_macro_output_chars=`~$&|'\"<>", 'process_performance_data=1', `service_perfdata_file=${perfFile}`,
    // the fields Nagios stored: service, state, state id, output, long output, perfdata (a tab can appear in none of them)
    'service_perfdata_file_template=$SERVICEDESC$\\t$SERVICESTATE$\\t$SERVICESTATEID$\\t$SERVICEOUTPUT$\\t$LONGSERVICEOUTPUT$\\t$SERVICEPERFDATA$',
    'service_perfdata_file_mode=a', 'service_perfdata_file_processing_interval=0', '',
  ].join('\n'));
  const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((d) => `  ${d} 00:00-24:00`).join('\n');
  writeFileSync(join(dir, 'objects.cfg'), `define timeperiod {
  timeperiod_name always
  alias always
${days}
}
define command {
  command_name noop
  command_line /bin/true
}
define command {
  command_name run
  command_line $ARG1$
}
define contact {
  contact_name nobody
  host_notifications_enabled 0
  service_notifications_enabled 0
  host_notification_period always
  service_notification_period always
  host_notification_options n
  service_notification_options n
  host_notification_commands noop
  service_notification_commands noop
}
define host {
  host_name lb1
  address 127.0.0.1
  max_check_attempts 1
  check_period always
  contacts nobody
  notification_period always
  active_checks_enabled 0
}
${Object.entries(services).map(([name, cmd]) => `define service {
  host_name lb1
  service_description ${name}
  check_command run!${cmd}
  max_check_attempts 1
  check_interval 1
  retry_interval 1
  check_period always
  notification_period always
  contacts nobody
}`).join('\n')}
`);
  const verify = spawnSync(NAGIOS, ['-v', join(dir, 'nagios.cfg')], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(verify.status, 0, verify.stdout);

  // keepalived and Nagios both run hacheck without NODE_EXTRA_CA_CERTS here (the machine's pitfall, not the product's)
  const nagios = spawn(NAGIOS, [join(dir, 'nagios.cfg')], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  nagios.stdout.on('data', (b) => (log += b));
  nagios.stderr.on('data', (b) => (log += b));
  const exited = new Promise((r) => nagios.on('exit', r));
  stopNagios = async () => {
    nagios.kill('SIGTERM');
    if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) return;
    nagios.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  };

  // Results as Nagios stored them; the healthy service counts once its CPU window exists (the second run).
  const results = (): Map<string, Result> => {
    const m = new Map<string, Result>();
    const text = existsSync(perfFile) ? readFileSync(perfFile, 'utf8') : '';
    for (const line of text.split('\n')) {
      const [service, state, stateId, output, longOutput, perfdata] = line.split('\t');
      if (perfdata === undefined) continue;
      if (service === 'healthy' && !/cpu_nginx_pct=/.test(perfdata)) continue;
      m.set(service, { service, state, stateId: Number(stateId), output, longOutput, perfdata });
    }
    return m;
  };
  const end = performance.now() + 60_000;
  while (results().size < Object.keys(services).length) {
    assert.ok(performance.now() < end, `Nagios stored results for ${[...results().keys()].join(', ') || 'nothing'} in 60 s\n${log}`);
    await sleep(200);
  }
  const r = results();

  const ok = r.get('healthy')!;
  assert.equal(ok.state, 'OK');
  assert.equal(ok.stateId, 0);
  assert.equal(ok.output, 'HACHECK OK - healthy');
  const perf = parsePerfdata(ok.perfdata);
  const by = new Map(perf.map((p) => [p.label, p]));
  assert.equal(by.size, perf.length, 'labels are unique');
  // the label kept its space (quoted) and lost its "=" (not allowed, even quoted)
  assert.ok(by.has('front end_1_ok'), [...by.keys()].join(' '));
  assert.match(ok.perfdata, /'front end_1_ok'=1;;;0;1/);
  assert.equal(by.get('stub_status_requests')?.uom, 'c', "nginx's request counter is a counter");
  const cpu = by.get('cpu_nginx_pct')!;
  assert.equal(cpu.uom, '%');
  assert.equal(cpu.max, 100 * cpus().length, 'nginx CPU is % of one core: max is 100 x CPUs');
  assert.equal(cpu.crit, '100000');
  assert.equal(by.get('memory_available_pct')?.crit, '1:', 'a minimum is the range "N:" (alert below N)');
  assert.equal(by.get('cpu_breach_streak')?.uom, '');
  for (const p of perf) if (p.label.endsWith('_time')) assert.equal(p.uom, 'ms');

  const crit = r.get('critical')!;
  assert.equal(crit.state, 'CRITICAL');
  assert.equal(crit.stateId, 2);
  assert.match(crit.output, /^HACHECK CRITICAL - unhealthy: process: no live no-such-proc process$/);
  const cp = new Map(parsePerfdata(crit.perfdata).map((p) => [p.label, p]));
  assert.equal(cp.get('process_ok')?.value, 0);

  const m = r.get('maintenance')!;
  assert.equal(m.state, 'WARNING');
  assert.equal(m.stateId, 1);
  assert.match(m.output, /^HACHECK WARNING - forced down: maintenance file .*maint-maint present$/);
  parsePerfdata(m.perfdata);

  for (const name of ['badflag', 'badflag_eq', 'badflag_first']) {
    const b = r.get(name)!;
    assert.equal(b.state, 'UNKNOWN', name);
    assert.equal(b.stateId, 3);
    assert.equal(b.output, "HACHECK UNKNOWN - usage: unknown option '--bogus' (see hacheck --help)", name);
    assert.equal(b.perfdata, '');
  }
  const bv = r.get('badvalue')!;
  assert.equal(bv.state, 'UNKNOWN');
  assert.match(bv.output, /^HACHECK UNKNOWN - .*soon/);
});

test('perfdata parser: rejects what the guidelines forbid', () => {
  assert.throws(() => parsePerfdata("'a=b'=1;;;0;1"));
  assert.throws(() => parsePerfdata('a=193%;;180;0;100'), /above max/);
  assert.throws(() => parsePerfdata('a=1KiB'), /UOM/);
  assert.deepEqual(parsePerfdata("'x y'=1.5ms;;10:;0").map((p) => [p.label, p.value, p.uom, p.crit, p.min]), [['x y', 1.5, 'ms', '10:', 0]]);
  assert.deepEqual(parsePerfdata('a=U;;90;0;100').map((p) => [p.label, p.value, p.crit]), [['a', NaN, '90']]);
  assert.throws(() => parsePerfdata('a=NaN;;;0'));
  assert.throws(() => parsePerfdata('a=Ums;;;0'));
});
