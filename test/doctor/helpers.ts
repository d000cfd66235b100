// Runs the pure analysis on fixture files: every script program is taken to
// exist and be safe (the CLI tests cover real files on disk), hacheck's facts
// come from `# deadline:` / `# agent-interval:` / `# config-timeout:` headers.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirname, resolve } from 'node:path';
import { parseKeepalivedConf, type Parsed } from '../../src/keepalived/parse.ts';
import { analyze, scriptPrograms, type DoctorReport, type Finding, type HacheckFacts, type ScriptFacts } from '../../src/keepalived/analyze.ts';
import { parseDuration } from '../../src/config/units.ts';

export const FIXTURES = new URL('../fixtures/keepalived/', import.meta.url).pathname;
export const fixture = (rel: string) => resolve(FIXTURES, rel);

export const parse = (path: string): Parsed => parseKeepalivedConf(path, { display: (p) => p });

export function header(path: string, key: string): string | undefined {
  const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(readFileSync(path, 'utf8'));
  return m?.[1].trim();
}

export function defaultFacts(over: Partial<HacheckFacts> = {}): HacheckFacts {
  return { deadlineMs: 1500, deadlineFrom: "hacheck's default timeout", stateFile: '/run/hacheck/state', healthyValue: 0, unhealthyValue: 1, ...over };
}

export function runFixture(path: string, opts: { scripts?: Map<string, ScriptFacts>; peer?: string } = {}): { report: DoctorReport; local: Parsed } {
  const local = parse(path);
  const peerName = opts.peer ?? header(path, 'peer');
  const peer = peerName ? parse(resolve(dirname(path), peerName)) : undefined;
  const deadline = header(path, 'deadline');
  const agentInterval = header(path, 'agent-interval');
  const scriptConfigs = new Map<string, { deadlineMs: number }>();
  const ct = header(path, 'config-timeout');
  if (ct) scriptConfigs.set(ct.split(' ')[0], { deadlineMs: parseDuration(ct.split(' ')[1])! });
  const scripts = opts.scripts ?? new Map(scriptPrograms(local).map((p) => [p, { exists: true }] as const));
  const hacheck = defaultFacts({
    ...(deadline && { deadlineMs: parseDuration(deadline)! }),
    ...(agentInterval && { agentIntervalMs: parseDuration(agentInterval)! }),
  });
  return { report: analyze({ local, peer, hacheck, scripts, scriptConfigs }), local };
}

/** `# expect: error weight-cannot-move; warning x` markers of every file read → "file:line severity code". */
export function expectations(parsed: Parsed): string[] {
  const out: string[] = [];
  for (const file of parsed.files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const m = /# expect: (.*)$/.exec(line);
      if (m) for (const e of m[1].split(';')) out.push(`${file}:${i + 1} ${e.trim()}`);
    });
  }
  return out.sort();
}

export const reported = (findings: Finding[]) => findings.map((f) => `${f.file}:${f.line} ${f.severity} ${f.code}`).sort();

/** A temp dir keepalived's script security accepts (root-owned parents without group/other write:
 *  /run), holding a stand-in `hacheck` (0755) for vrrp_script lines. Falls back to the temp dir. */
export function scriptDir(prefix: string): string {
  let dir: string;
  try {
    dir = mkdtempSync(`/run/${prefix}`);
  } catch {
    dir = mkdtempSync(join(tmpdir(), prefix));
  }
  writeFileSync(join(dir, 'hacheck'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return dir;
}
