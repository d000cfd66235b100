// The documentation must stay true (docs/development.md, "Documentation"):
// every config key of the schema and every --help flag is in the reference,
// every relative link resolves, every snippet marked complete passes
// `hacheck validate` or `keepalived -t`, and each page says who it is for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { configSchema } from '../../src/config/schema.ts';
import { hacheck } from '../fixtures/hacheck.ts';

const root = new URL('../../', import.meta.url).pathname;
const DOCS = join(root, 'docs');
const TOPICS = ['configuration', 'agent', 'doctor', 'security', 'nagios', 'performance', 'development'];
const pages = [join(root, 'README.md'), ...readdirSync(DOCS).filter((f) => f.endsWith('.md')).sort().map((f) => join(DOCS, f))];
const read = (p: string) => readFileSync(p, 'utf8');
const reference = read(join(DOCS, 'configuration.md'));

// ---- markdown, as far as these checks need it -------------------------------------------

interface Fence { info: string; body: string; line: number; complete: boolean }
interface Parsed { fences: Fence[]; prose: { text: string; line: number }[]; headings: string[] }

/** Fenced blocks (``` or ~~~, any indent, closed by a fence at least as long), the lines outside them, the headings. */
export function parseMarkdown(text: string): Parsed {
  const lines = text.split('\n');
  const out: Parsed = { fences: [], prose: [], headings: [] };
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)/.exec(lines[i]);
    if (open) {
      const [, indent, mark, info] = open;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]);
        if (close && close[1][0] === mark[0] && close[1].length >= mark.length) break;
        body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
      }
      const prev = lines.slice(0, i).reverse().find((l) => l.trim() !== '');
      out.fences.push({ info, body: body.join('\n') + '\n', line: i + 1, complete: lines[i - 1]?.trim() === '<!-- complete -->' && prev?.trim() === '<!-- complete -->' });
      i = j;
      continue;
    }
    out.prose.push({ text: lines[i], line: i + 1 });
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(lines[i]);
    if (h) out.headings.push(h[1]);
  }
  return out;
}

/** GitHub's heading anchors: lower case, punctuation (backticks, colons, dots, parentheses…) dropped, spaces to '-', repeats get -1, -2. */
export function slugs(headings: string[]): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings) {
    const text = h.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

// ---- the schema's keys, walked from the valibot schemas -----------------------------------

interface Schema { type?: string; entries?: Record<string, Schema>; wrapped?: Schema; item?: Schema; options?: Schema[]; pipe?: unknown[]; key?: Schema; value?: Schema; getter?: () => Schema }

/** Every object key reachable in a valibot schema, with the path it was found at. */
export function schemaKeys(schema: Schema, path = '', out = new Map<string, string>()): Map<string, string> {
  if (!schema || typeof schema !== 'object') return out;
  if (schema.entries) {
    for (const [k, s] of Object.entries(schema.entries)) {
      const p = path ? `${path}.${k}` : k;
      if (!out.has(k)) out.set(k, p);
      schemaKeys(s, p, out);
    }
  }
  for (const s of [schema.wrapped, schema.item, schema.value]) if (s) schemaKeys(s, schema.item === s ? `${path}[]` : path, out);
  for (const s of schema.options ?? []) schemaKeys(s, path, out);
  for (const s of schema.pipe ?? []) if (s !== schema && (s as { kind?: string }).kind === 'schema') schemaKeys(s as Schema, path, out);
  return out;
}

/** `text` appears inside an inline code span of the reference (alone or within, e.g. `budget.max`, `values.healthy` / `unhealthy`). */
const inCode = (doc: string, token: string) => {
  const esc = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp('`[^`\\n]*(?<![\\w-])' + esc + '(?![\\w-])[^`\\n]*`').test(doc);
};

test('docs: the README and one page per topic, each starting with who it is for', () => {
  for (const t of TOPICS) assert.ok(existsSync(join(DOCS, `${t}.md`)), `docs/${t}.md`);
  for (const p of pages.filter((f) => f.startsWith(DOCS))) {
    const text = read(p);
    assert.match(text, /^# \S/, `${relative(root, p)} starts with its title`);
    const first = text.split('\n\n')[1] ?? '';
    assert.match(first, /^For /, `${relative(root, p)}: the first paragraph says who the page is for ("For …"), got: ${first.slice(0, 80)}`);
  }
  const readme = read(join(root, 'README.md'));
  const n = readme.trimEnd().split('\n').length;
  // ~250 lines, and the fast-failover summary issue 17 asks the README itself to carry
  assert.ok(n <= 270, `README.md is ${n} lines: keep it an operator's page (~250), move the rest to docs/`);
  for (const t of TOPICS) assert.ok(readme.includes(`(docs/${t}.md)`), `README's map links docs/${t}.md`);
});

test('docs/configuration.md names every key of the config schema (probes and restart included)', () => {
  const keys = schemaKeys(configSchema as unknown as Schema);
  // the walk itself must reach the nested schemas, or this test proves nothing
  for (const k of ['timeout', 'state_dir', 'budget', 'tls_verify', 'body_regex', 'nginx_rss_max', 'dropped_max', 'min_workers', 'textfile_dir', 'forced_down']) {
    assert.ok(keys.has(k), `the schema walk found ${k}`);
  }
  const missing = [...keys].filter(([k]) => !inCode(reference, k)).map(([k, p]) => `${k} (${p})`);
  assert.deepEqual(missing, [], 'keys without a mention in docs/configuration.md');
});

test('docs/configuration.md names every flag that --help prints, for every command', async () => {
  const top = await hacheck('--help');
  assert.equal(top.code, 0, top.stderr);
  const commands = [...top.stdout.slice(top.stdout.indexOf('Commands:')).matchAll(/^ {2}(\w[\w-]*) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
  assert.ok(commands.includes('check') && commands.includes('agent') && commands.length >= 6, commands.join(' '));
  const missing: string[] = [];
  for (const cmd of ['', ...commands]) {
    const r = await hacheck(...(cmd ? [cmd] : []), '--help');
    assert.equal(r.code, 0, `${cmd} --help: ${r.stderr}`);
    const flags = [...r.stdout.matchAll(/^ {2}(?:(-\w), )?(--[\w-]+)/gm)].flatMap((m) => [m[1], m[2]]).filter((f): f is string => !!f);
    assert.ok(flags.includes('--help'), `${cmd || 'hacheck'} --help lists options`);
    for (const f of flags) if (!inCode(reference, f)) missing.push(`hacheck ${cmd} ${f}`.replace('  ', ' '));
  }
  assert.deepEqual(missing, [], 'flags without a mention in docs/configuration.md');
});

test('docs: every relative link in README.md and docs/*.md resolves (file and #anchor)', () => {
  const bad: string[] = [];
  let count = 0;
  for (const p of pages) {
    const { prose } = parseMarkdown(read(p));
    for (const { text, line } of prose) {
      const outside = text.replace(/`[^`]*`/g, '');
      for (const m of outside.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        count++;
        const [file, anchor] = target.split('#', 2);
        const dest = file ? join(dirname(p), decodeURIComponent(file)) : p;
        const where = `${relative(root, p)}:${line}: ${target}`;
        if (!existsSync(dest)) { bad.push(`${where}: no such file`); continue; }
        if (anchor !== undefined) {
          if (!dest.endsWith('.md')) { bad.push(`${where}: anchor into a non-markdown file`); continue; }
          if (!slugs(parseMarkdown(read(dest)).headings).has(anchor)) bad.push(`${where}: no heading with the anchor #${anchor}`);
        }
      }
    }
  }
  assert.ok(count >= 20, `found ${count} relative links`);
  assert.deepEqual(bad, []);
});

test('docs: the link checker knows GitHub slugs and fences', () => {
  assert.deepEqual([...slugs(['Agent cost (`npm run bench:agent`)', 'keepalived: track_file plus the guard', '`agent:`', 'Top level', 'Top level'])],
    ['agent-cost-npm-run-benchagent', 'keepalived-track_file-plus-the-guard', 'agent', 'top-level', 'top-level-1']);
  const md = parseMarkdown('# T\n\n<!-- complete -->\n````\n<!-- complete -->\n```yaml\nx: 1\n```\n````\n\n<!-- complete -->\n```yaml\ntimeout: 1s\n```\n');
  assert.equal(md.fences.length, 2, 'a fence inside a longer fence is text');
  assert.deepEqual(md.fences.map((f) => [f.info, f.complete]), [['', true], ['yaml', true]]);
  assert.deepEqual(md.headings, ['T']);
});

const have = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const KEEPALIVED = ['/usr/sbin/keepalived', 'keepalived'].find((k) => k.startsWith('/') ? existsSync(k) : have(k));

/** Every fence marked complete in README.md and docs/*.md: a yaml one is a hacheck config, another a keepalived.conf. */
const complete = pages.flatMap((p) => parseMarkdown(read(p)).fences.filter((f) => f.complete).map((f) => ({ ...f, where: `${relative(root, p)}:${f.line}` })));

test('docs: snippets marked complete exist (README: a config, a one-shot and an agent keepalived.conf)', () => {
  const readme = complete.filter((f) => f.where.startsWith('README.md'));
  assert.ok(readme.some((f) => f.info === 'yaml'), 'a complete hacheck config in the README');
  assert.ok(readme.some((f) => f.info !== 'yaml' && /vrrp_script/.test(f.body) && !/track_file/.test(f.body)), 'a complete one-shot keepalived.conf in the README');
  assert.ok(readme.some((f) => f.info !== 'yaml' && /track_file/.test(f.body)), 'a complete agent keepalived.conf in the README');
  for (const f of complete) assert.ok(f.info === 'yaml' || f.info === '', `${f.where}: a complete snippet is \`\`\`yaml or a bare \`\`\` (keepalived.conf), not ${f.info}`);
});

test('docs: every complete YAML snippet passes hacheck validate (and its --print does too)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-docs-yaml-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const yaml = complete.filter((f) => f.info === 'yaml');
  assert.ok(yaml.length >= 1);
  for (const [i, f] of yaml.entries()) {
    const file = join(dir, `s${i}.yaml`);
    writeFileSync(file, f.body);
    const r = await hacheck('validate', '-c', file, '--print');
    assert.equal(r.code, 0, `${f.where}: ${r.stderr}`);
    writeFileSync(`${file}.printed`, r.stdout);
    const again = await hacheck('validate', '-c', `${file}.printed`);
    assert.equal(again.code, 0, `${f.where} as printed: ${again.stderr}`);
  }
});

test('docs: every complete keepalived.conf snippet passes keepalived -t', { skip: !KEEPALIVED && 'keepalived not installed (/usr/sbin/keepalived): the keepalived snippets are not checked' }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-docs-ka-'));
  chmodSync(dir, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // keepalived's script security checks the script path: a root-owned, not group/other-writable stand-in for /usr/bin/hacheck
  const bin = join(dir, 'hacheck');
  writeFileSync(bin, `#!/bin/sh\nexec ${join(root, 'bin/hacheck')} "$@"\n`);
  chmodSync(bin, 0o755);
  const confs = complete.filter((f) => f.info !== 'yaml');
  assert.ok(confs.length >= 2);
  for (const [i, f] of confs.entries()) {
    const conf = join(dir, `k${i}.conf`);
    writeFileSync(conf, f.body.replaceAll('/usr/bin/hacheck', bin));
    // -t: check the config and exit; -l -D: log to stderr in detail. Its exit code alone is not enough
    // (2.2.7 exits 0 on some errors), so its complaints are read too.
    const r = spawnSync(KEEPALIVED!, ['-t', '-f', conf, '-l', '-D'], { encoding: 'utf8', timeout: 20_000 });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, `${f.where}: keepalived -t exit ${r.status} ${r.signal ?? ''}: ${out}`);
    assert.doesNotMatch(out, /Unknown keyword|Disabling|insecure|Unsafe|invalid|not found|error/i, `${f.where}: ${out}`);
  }
});

test('docs: keepalived -t is an oracle here (it does complain about a broken snippet)', { skip: !KEEPALIVED && 'keepalived not installed (/usr/sbin/keepalived)' }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-docs-ka-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'bad.conf');
  writeFileSync(conf, 'vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    bogus_keyword 1\n}\n');
  const r = spawnSync(KEEPALIVED!, ['-t', '-f', conf, '-l', '-D'], { encoding: 'utf8', timeout: 20_000 });
  assert.match(r.stdout + r.stderr, /Unknown keyword/i);
});

test("README's keepalived snippets are the examples the packages ship (comments aside)", () => {
  const strip = (s: string) => s.split('\n').filter((l) => !/^\s*!/.test(l)).join('\n').trim();
  const readme = complete.filter((f) => f.where.startsWith('README.md') && f.info === '').map((f) => strip(f.body));
  for (const ex of ['keepalived-oneshot.conf', 'keepalived-agent.conf']) {
    const shipped = strip(read(join(root, 'packaging/keepalived', ex)));
    assert.ok(readme.includes(shipped), `README shows packaging/keepalived/${ex} as it is shipped`);
  }
});

test('docs/agent.md lists every metric series the agent exports, with its type', async () => {
  const { renderMetrics } = await import('../../src/output/metrics.ts');
  const { FACTS } = await import('../../src/output/facts.ts');
  // every measured fact a probe can report, and the restart budget: every family the agent can export
  const text = renderMetrics({ verdict: 'healthy', observed: 'healthy', value: 0, cycleMs: 1, intervalMs: 1000, cycles: 1, overruns: 0, stateChanges: 0, restarts: 0, lastSuccess: 0, lastCycle: 0, startTime: 0, version: 'x',
    restartBudget: { used: 0, max: 3, windowMs: 600_000 },
    probes: [{ name: 'http', kind: 'http', severity: 'critical', ok: true, durationMs: 1, timedOut: false, checks: [{ target: 'http://127.0.0.1/', ok: true, durationMs: 1 }], metrics: { status: 200, ...Object.fromEntries(Object.keys(FACTS).map((k) => [k, 1])) } }] } as never);
  const agent = read(join(DOCS, 'agent.md'));
  const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)];
  assert.ok(families.length >= 15, `${families.length} series`);
  for (const [, name, type] of families) assert.match(agent, new RegExp(`^\\| \`${name}\` \\| ${type} \\|`, 'm'), `docs/agent.md's metrics table has ${name} (${type})`);
});

test('docs/doctor.md names every code the doctor gives a keepalived line (src/keepalived/messages.ts)', () => {
  const codes = new Set([...read(join(root, 'src/keepalived/messages.ts')).matchAll(/code: '([a-z0-9-]+)'/g)].map((m) => m[1]));
  assert.ok(codes.size > 20, `found ${codes.size} codes`);
  const doc = read(join(root, 'docs/doctor.md'));
  const missing = [...codes].filter((c) => !doc.includes(`\`${c}\``));
  assert.deepEqual(missing, [], 'codes not in docs/doctor.md');
});
