// keepalived's conditional configuration (keepalived.conf(5)): an `@ID keyword` line is
// read only by a keepalived whose config id is ID, an `@^ID` line only by the others; the
// id is `-i`, else the node name up to its first dot. One file is often deployed to both
// nodes this way, so the doctor must read it as each node's keepalived does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';
import { configIdOf, parseKeepalivedConf } from '../../src/keepalived/parse.ts';

const KEEPALIVED = '/usr/sbin/keepalived';
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hacheck-config-id-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** One file for both nodes: lb1 MASTER 100, every other node BACKUP 85; the check's weight −5. */
function shared(extra: string[] = []): string {
  const path = join(dir, `shared-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(path, [
    'vrrp_script chk {',
    '    script "/bin/false"',
    '    interval 1',
    '    weight -5',
    '}',
    'vrrp_instance VI_1 {',
    '@lb1    state MASTER',
    '@^lb1   state BACKUP',
    '    interface eth0',
    '    virtual_router_id 51',
    '@lb1    priority 100',
    '    @^lb1 priority 85',
    ...extra,
    '    virtual_ipaddress {',
    '        198.51.100.10/24',
    '    }',
    '    track_script {',
    '        chk',
    '    }',
    '}',
    '',
  ].join('\n'));
  return path;
}

function peer(priority: number): string {
  const path = join(dir, `peer-${priority}.conf`);
  writeFileSync(path, ['vrrp_instance VI_1 {', '    state BACKUP', '    interface eth0', '    virtual_router_id 51', `    priority ${priority}`,
    '    virtual_ipaddress {', '        198.51.100.10/24', '    }', '}', ''].join('\n'));
  return path;
}

test('parse: @id lines are read only on a matching config id, @^id lines only on another; an @id with nothing after it is dropped', () => {
  const path = shared(['@lb1']);
  const prio = (id?: string) => parseKeepalivedConf(path, { configId: id }).nodes[1].children!.filter((n) => n.keyword === 'priority').map((n) => n.args[0]);
  assert.deepEqual(prio('lb1'), ['100']);
  assert.deepEqual(prio('lb2'), ['85']);
  assert.deepEqual(prio(''), ['85']);
  // unknown id: every line, and a note
  assert.deepEqual(prio(undefined), ['100', '85']);
  assert.equal(parseKeepalivedConf(path).notes.filter((n) => n.kind === 'config-id-unknown').length, 1);
  assert.equal(parseKeepalivedConf(path, { configId: 'lb1' }).notes.length, 0);
});

test("keepalived's default config id: the node name up to its first dot", () => {
  assert.equal(configIdOf('lb1.example.com'), 'lb1');
  assert.equal(configIdOf('lb1'), 'lb1');
});

test('doctor: the shared file on lb1 (100 − 5 = 95 above the peer 90): the VIP STAYS; on lb2 (85 − 5 below 90) it MOVES', async () => {
  const conf = shared();
  const p = peer(90);
  const on = async (...args: string[]) => {
    const r = await hacheck('doctor', '--keepalived-conf', conf, '--peer-conf', p, '--json', ...args);
    assert.ok(r.code === 1 || r.code === 2, r.stderr || r.stdout);
    return JSON.parse(r.stdout);
  };
  const lb1 = await on('--config-id', 'lb1');
  assert.equal(lb1.instances[0].priority, 100);
  assert.equal(lb1.instances[0].state, 'MASTER');
  assert.equal(lb1.instances[0].checks[0].moves, false, JSON.stringify(lb1.instances[0].checks[0]));
  assert.ok(lb1.findings.some((f: { code: string }) => f.code === 'weight-cannot-move'));
  const lb2 = await on('--config-id', 'lb2');
  assert.equal(lb2.instances[0].priority, 85);
  assert.equal(lb2.instances[0].checks[0].moves, true);
  // without --config-id: this host's node name, as keepalived's own default
  const self = await on();
  assert.equal(self.instances[0].priority, configIdOf(hostname()) === 'lb1' ? 100 : 85);
});

test("doctor: the peer's @id lines with --peer-config-id; without it, a warning that they were all read", async () => {
  const conf = shared();
  const r = await hacheck('doctor', '--keepalived-conf', peer(90), '--peer-conf', conf, '--peer-config-id', 'lb1', '--json', '--no-keepalived');
  const j = JSON.parse(r.stdout);
  assert.equal(j.instances[0].peer.healthy, 100);
  assert.ok(!j.findings.some((f: { code: string }) => f.code === 'config-id-unknown'));
  const u = JSON.parse((await hacheck('doctor', '--keepalived-conf', peer(90), '--peer-conf', conf, '--json', '--no-keepalived')).stdout);
  const f = u.findings.find((x: { code: string }) => x.code === 'config-id-unknown');
  assert.ok(f, JSON.stringify(u.findings));
  assert.equal(f.severity, 'warning');
  assert.match(f.fix, /--peer-config-id/);
});

test("doctor: keepalived's own config test gets the same id (-i): its messages are about the lines that id reads", { skip: !existsSync(KEEPALIVED) && 'keepalived not installed' }, async () => {
  // priority 300 only on lb1's line: keepalived says "Priority not valid" there for lb1, nothing for lb2
  const conf = shared(['@lb1 priority 300']);
  const codes = async (id: string) => {
    const r = await hacheck('doctor', '--keepalived-conf', conf, '--config-id', id, '--json');
    const j = JSON.parse(r.stdout);
    assert.ok(j.keepalived_config_test.local, JSON.stringify(j.keepalived_config_test));
    return j.findings.filter((f: { code: string }) => f.code === 'priority-range').map((f: { line: number; keepalived?: string[] }) => `${f.line} ${(f.keepalived ?? []).join(' | ')}`);
  };
  const lb1 = await codes('lb1');
  assert.equal(lb1.length, 1, JSON.stringify(lb1));
  assert.match(lb1[0], /^13 .*Priority not valid/);
  assert.deepEqual(await codes('lb2'), []);
});

test("an @id line holding a brace, not read on this node: the block's other lines are read without it, said once; a block conditional on every line is not", () => {
  const path = join(dir, 'cond-brace.conf');
  writeFileSync(path, [
    '@lb1 vrrp_instance VI_1 {', '    interface eth0', '    virtual_router_id 51', '}',
    '@^lb1 vrrp_instance VI_2 {', '@^lb1    interface eth0', '@^lb1    virtual_router_id 52', '@^lb1 }', '',
  ].join('\n'));
  const notes = (id: string) => parseKeepalivedConf(path, { configId: id }).notes.map((n) => `${n.line} ${n.kind}`);
  // lb2: VI_1's opening line is dropped, its lines read at the top level and its '}' extra (keepalived 2.2.7 -i lb2: "Extra '}' found")
  assert.deepEqual(notes('lb2'), ['1 conditional-brace', '4 extra-brace']);
  // lb1: VI_2 is dropped whole, line by line: nothing to say
  assert.deepEqual(notes('lb1'), []);
  if (!existsSync(KEEPALIVED)) return;
  const out = (id: string) => spawnSync(KEEPALIVED, ['--config-test', '-i', id, '-f', path], { encoding: 'utf8' }).stderr;
  assert.match(out('lb2'), /Line 4\) Extra '\}' found/);
  assert.doesNotMatch(out('lb1'), /Extra|Unknown/);
});
