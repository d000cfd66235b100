#!/usr/bin/env node
// hacheck(1) in roff, generated from the commander program that prints --help
// (every command and option, with the same words), so the two never disagree.
//   node scripts/gen-man.mjs [out]   (default dist/man/hacheck.1)
// The date is SOURCE_DATE_EPOCH's, else the last commit's: rebuilds are identical.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, ensurePinnedNode, loadProgram, pkg } from './gen-program.mjs';

ensurePinnedNode(import.meta.url);
const out = process.argv[2] ?? new URL('../dist/man/hacheck.1', import.meta.url).pathname;

/** Where the packages install README.md.gz and docs/ (scripts/package.mjs). */
export const DOC_DIR = '/usr/share/doc/hacheck/';

/** roff-escape text: backslashes, hyphens (so options copy-paste), leading dots/quotes. */
const esc = (s) => String(s).replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1');
// An option term ("-c, --keepalived-conf <path>"): each flag one bold run, found before
// escaping (after it, the hyphens inside a long name are `\\-` and would split it).
const term = (t) =>
  String(t)
    .split(/((?<![\w-])--?[A-Za-z0-9][\w-]*|<[^>]+>)/)
    .map((p, i) => (i % 2 === 0 ? esc(p) : p.startsWith('<') ? `<\\fI${esc(p.slice(1, -1))}\\fR>` : `\\fB${esc(p)}\\fR`))
    .join('');

function manDate() {
  let epoch = Number(process.env.SOURCE_DATE_EPOCH);
  if (!epoch) {
    try {
      epoch = Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
    } catch { /* not a checkout */ }
  }
  return new Date(epoch ? epoch * 1000 : Date.now()).toISOString().slice(0, 10);
}

export function renderMan(d, version, date, docPages = []) {
  const L = [];
  L.push(`.TH HACHECK 1 "${date}" "hacheck ${version}" "User Commands"`);
  L.push('.SH NAME', `hacheck \\- ${esc(d.description.replace(/^./, (c) => c.toLowerCase()))}`);
  L.push('.SH SYNOPSIS');
  for (const c of d.commands) L.push(`\\fBhacheck\\fR ${c.isDefault ? `[\\fB${c.name}\\fR]` : `\\fB${c.name}\\fR`} [\\fIoptions\\fR]`, '.br');
  L.pop();
  L.push('.SH DESCRIPTION');
  L.push(`${esc(d.description)}`);
  L.push('.PP', `keepalived runs \\fBhacheck\\fR (the \\fBcheck\\fR command, the default) from a \\fBvrrp_script\\fR every 1\\-2 s; its exit code is the verdict. Or \\fBhacheck agent\\fR keeps a \\fBtrack_file\\fR current and \\fBhacheck status\\fR guards against a dead agent. Every option of \\fBcheck\\fR and \\fBagent\\fR can also be set in the configuration file; options win.`);
  L.push('.PP', 'This page is generated from the same program that prints \\fBhacheck \\fR[\\fIcommand\\fR] \\fB\\-\\-help\\fR.');
  L.push('.PP', `The full reference (every configuration key and its default, the agent's files and metrics, the keepalived arithmetic of \\fBdoctor\\fR, the trust model, measured performance) is in \\fI${DOC_DIR}\\fR: \\fIREADME.md.gz\\fR and \\fIdocs/\\fR (${docPages.map((f) => `\\fB${esc(f)}\\fR`).join(', ')}; read the .gz ones with \\fBzless\\fR).`);
  L.push('.SH OPTIONS');
  for (const o of d.options) L.push('.TP', term(o.term), esc(o.description));
  L.push('.SH COMMANDS');
  for (const c of d.commands) {
    L.push(`.SS "${c.name}${c.isDefault ? ' (default)' : ''}"`);
    L.push(`.B ${esc(c.usage)}`, '.PP', esc(c.description.replace(/^./, (ch) => ch.toUpperCase())) + '.');
    for (const o of c.options) L.push('.TP', term(o.term), esc(o.description));
  }
  L.push('.SH "EXIT STATUS"', 'Of \\fBcheck\\fR (keepalived treats any non\\-zero status as a failure):');
  for (const [code, text] of [
    [0, 'healthy (also: healthy again after a restart in this run; warnings only)'],
    [1, 'unhealthy: a critical probe failed (or hung past the deadline) and nginx was not recovered'],
    [3, 'forced down: the maintenance file is present'],
    [64, 'usage error (bad option)'],
    [70, 'internal error (a bug; the message says so)'],
    [78, 'configuration error: file, line and what is wrong'],
  ]) L.push('.TP', `.B ${code}`, esc(text));
  L.push('.PP', 'Of \\fBagent\\fR: 0 stopped by SIGTERM, SIGINT or SIGQUIT (the track_file holds the \\fBon_exit\\fR value); 75 another agent keeps the track_file or the status file (nothing written); 64, 70, 78 as \\fBcheck\\fR.',
    '.PP', 'Of \\fBstatus\\fR (the guard keepalived runs): 0 fresh, written by a live agent, healthy or warning; 1 missing, unreadable, stale, stopped, agent gone or unhealthy; 3 forced down; 64 bad option; 78 the \\fB\\-c\\fR config is invalid.',
    '.PP', 'Of \\fBdoctor\\fR: 0 no findings, 1 warnings, 2 errors. Of \\fBvalidate\\fR: 0 valid, 78 not. Of \\fBinit\\fR: 0 written, 64 bad option or an existing hacheck.yaml without \\fB\\-\\-force\\fR.');
  L.push('.SH FILES');
  for (const [f, text] of [
    ['/etc/hacheck/hacheck.yaml', 'configuration file (a conffile of the package); check it with \\fBhacheck validate\\fR'],
    ['/etc/hacheck/maintenance', 'while this file exists, \\fBcheck\\fR exits 3 (forced down): the drain switch'],
    ['/run/hacheck/', 'state directory: counters, CPU samples, the restart budget, the agent\'s track_file and status.json'],
    [`${DOC_DIR}docs/`, 'the full reference, one topic per file; \\fIconfiguration.md.gz\\fR lists every key and option'],
    ['/usr/share/doc/hacheck/examples/', 'keepalived.conf examples for the one\\-shot check and for the agent'],
    ['hacheck\\-agent.service', "the agent's systemd unit (\\fI/lib/systemd/system/\\fR in the deb, \\fI/usr/lib/systemd/system/\\fR in the rpm); not enabled by the package: \\fBsystemctl enable \\-\\-now hacheck\\-agent\\fR"],
    ['/usr/share/hacheck/prometheus/hacheck.rules.yml', 'Prometheus alerting and recording rules for a fleet of agents'],
  ]) L.push('.TP', `.I ${f}`, text);
  L.push('.SH ENVIRONMENT', '.TP', '.B NO_COLOR', 'when set, the \\fB\\-\\-verbose\\fR table is not coloured.');
  // the README's recommended vrrp_script (packaging/keepalived/keepalived-oneshot.conf): script timeout 3 s above
  // hacheck's 1.5 s deadline, fall 2 so one run starved of CPU (inconclusive, exit 1) does not move the VIP
  L.push('.SH EXAMPLES', 'A one\\-shot check in keepalived.conf (one keyword per line; no \\fBweight\\fR: a failure puts the instance in FAULT; the full file is \\fI/usr/share/doc/hacheck/examples/keepalived\\-oneshot.conf\\fR):', '.PP', '.nf', '.RS');
  for (const line of ['global_defs {', '    enable_script_security', '    script_user root', '}', 'vrrp_script hacheck {', '    script "/usr/bin/hacheck check -c /etc/hacheck/hacheck.yaml"', '    interval 2', '    timeout 3', '    fall 2', '    rise 2', '}', 'vrrp_instance VI_1 {', '    ...', '    track_script {', '        hacheck', '    }', '}']) L.push(esc(line));
  L.push('.RE', '.fi', '.PP', 'What the check sees, probe by probe:', '.PP', '.RS', '.B hacheck \\-v \\-\\-pidfile /run/nginx.pid \\-\\-port 80 \\-\\-url http://127.0.0.1/health', '.RE');
  L.push('.SH "SEE ALSO"', '.BR keepalived.conf (5),', '.BR keepalived (8),', '.BR nginx (8),', `\\fI${DOC_DIR}\\fR`);
  return L.join('\n') + '\n';
}

// the pages of docs/, which the packages install in DOC_DIR/docs/ (scripts/package.mjs)
const docPages = readdirSync(new URL('../docs/', import.meta.url)).filter((f) => f.endsWith('.md')).sort();
const text = renderMan(describe(await loadProgram()), pkg.version, manDate(), docPages);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
process.stderr.write(`gen-man: ${out}\n`);
