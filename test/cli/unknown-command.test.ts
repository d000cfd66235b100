// A mistyped command lands on the default `check` as an argument: commander said
// "too many arguments for 'check'. Expected 0 arguments but got 1: stauts." — nothing
// about commands. Now it is named as an unknown command, with the likely one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hacheck } from '../fixtures/hacheck.ts';

test('an unknown command is named, with the command it most likely is; 64, or UNKNOWN under --format nagios', async () => {
  const typo = await hacheck('stauts', '--max-age', '3s');
  assert.equal(typo.code, 64);
  assert.equal(typo.stdout, '');
  assert.equal(typo.stderr, 'hacheck: unknown command "stauts" (did you mean status?): the commands are check, agent, status, validate, doctor, init (see hacheck --help)\n');
  const none = await hacheck('frobnicate');
  assert.equal(none.code, 64);
  assert.match(none.stderr, /^hacheck: unknown command "frobnicate": the commands are check, agent/);
  assert.doesNotMatch(none.stderr, /did you mean/);
  // a command named, then a stray word: an argument of that command, not a command
  const extra = await hacheck('check', 'extra');
  assert.equal(extra.code, 64);
  assert.match(extra.stderr, /^hacheck: check: unexpected argument "extra": it takes options only/);
  const status = await hacheck('status', 'now');
  assert.equal(status.code, 64);
  assert.match(status.stderr, /^hacheck: status: unexpected argument "now"/);
  const nagios = await hacheck('doctr', '--format', 'nagios');
  assert.equal(nagios.code, 3);
  assert.equal(nagios.stdout, 'HACHECK UNKNOWN - usage: unknown command "doctr" (did you mean doctor?): the commands are check, agent, status, validate, doctor, init (see hacheck --help)\n');
});

test('a stray word after options is an argument of the command, not an unknown command', async () => {
  const r = await hacheck('--port', '80', 'extra');
  assert.equal(r.code, 64);
  assert.equal(r.stderr, 'hacheck: check: unexpected argument "extra": it takes options only (see hacheck --help)\n');
});

test("a bad option value reads as the other flag errors do ('--pidfile: empty value: …'), not commander's \"option '--pidfile <path>' argument '' is invalid.\"", async () => {
  const empty = await hacheck('--pidfile', '');
  assert.equal(empty.code, 64);
  assert.equal(empty.stderr, 'hacheck: --pidfile: empty value: give one, or leave --pidfile out (see hacheck --help)\n');
  const config = await hacheck('validate', '-c', '');
  assert.equal(config.code, 64);
  assert.equal(config.stderr, 'hacheck: --config: empty value: give one, or leave --config out (see hacheck --help)\n');
  const choice = await hacheck('--format', 'xml');
  assert.equal(choice.code, 64);
  assert.equal(choice.stderr, 'hacheck: --format: "xml" is not one of text, json, nagios (see hacheck --help)\n');
  const mode = await hacheck('init', '--mode', 'x');
  assert.equal(mode.code, 64);
  assert.match(mode.stderr, /^hacheck: --mode: "x" is not one of oneshot, agent /);
});
