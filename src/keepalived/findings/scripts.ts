// The vrrp_scripts as keepalived runs them: script security, the user it runs
// them as (script_user, a script's own `user`, the keepalived_script default,
// checked against this host's users), the program on disk (missing, unsafe), and
// what a shell script does inside (stops keepalived, sleeps past its timeout).
// keepalived 2.2.7: notify.c check_script_secure, vrrp_parser.c vrrp_vscript_end_handler.
import { scriptUser, why } from '../load.js';
import type { KeepalivedModel } from '../model.js';
import type { Loc } from '../parse.js';
import { finding, sec, type Family, type Finding } from './types.js';
import { hacheckRole } from '../arithmetic.js';

/** Names of the vrrp_scripts that some instance or sync group tracks. */
export function trackedScripts(m: KeepalivedModel): Set<string> {
  const tracked = new Set<string>([...m.groupTracked]);
  for (const inst of m.instances) for (const t of inst.tracks) if (t.kind === 'script') tracked.add(t.name);
  return tracked;
}

export const scripts: Family = (ctx) => {
  const out: Finding[] = [];
  const m = ctx.local.model;
  const add = (severity: Finding['severity'], code: string, at: Loc, message: string, fix: string, subject?: string) => out.push(finding(severity, code, at, message, fix, subject));
  const tracked = trackedScripts(m);
  const anyScripts = [...tracked].some((n) => m.scripts.has(n));
  if (anyScripts && !m.scriptSecurity) {
    add('warning', 'no-script-security', m.global ?? m.top, 'enable_script_security is not set: keepalived runs the check scripts as root even if a non-root user can replace them',
      'add `enable_script_security` to global_defs (and keep the script and its directories root-owned, not group/other-writable)', 'global:script-security');
  }
  if (anyScripts && !m.scriptUser) {
    const exists = ctx.users?.has('keepalived_script');
    if (exists === undefined || (exists === false && !m.scriptSecurity)) {
      add('warning', 'no-script-user', m.global ?? m.top, "script_user is not set: keepalived looks for a 'keepalived_script' user and falls back to root with a warning (Debian creates no such user)",
        'add `script_user root` to global_defs (hacheck needs root to restart nginx and read its /proc entries)');
    } else if (exists) {
      add('warning', 'no-script-user', m.global ?? m.top, "script_user is not set and user keepalived_script exists on this host: keepalived runs the checks as keepalived_script, not root: hacheck cannot restart nginx nor read a root nginx's /proc entries",
        'add `script_user root` to global_defs');
    }
  }
  for (const s of m.scripts.values()) {
    // a vrrp_script without a name stops keepalived (keepalived-stops): no "unused" about it
    if (!tracked.has(s.name) && s.name) {
      add('warning', 'unused-script', s, `vrrp_script ${s.name} is defined but no vrrp_instance tracks it: keepalived never runs it`,
        `add \`${s.name}\` to the track_script block of the vrrp_instance it should protect, or delete it`, `script:${s.name}:unused`);
      continue;
    }
    for (const b of s.badValues) {
      // (a weight keepalived rejects: the weights family)
      const dflt = b.keyword === 'interval' ? 'interval 1' : b.keyword === 'timeout' ? 'the interval as timeout' : `${b.keyword} 1`;
      add('error', 'script-value', b, `vrrp_script ${s.name}: ${b.keyword} ${b.value} is not valid for keepalived (a whole number of seconds or counts, 1 or more): it uses ${dflt} instead`,
        `${b.keyword} with a whole number${b.keyword === 'interval' || b.keyword === 'timeout' ? " (only hacheck's agent goes below a second)" : ''}`);
    }
    if (s.scriptUnsplittable) {
      // an unterminated double quote has its own finding at the line (parse-notes unterminated-quote): it says the same
      const u = s.scriptUnsplittable;
      if (!ctx.local.parsed.notes.some((n) => n.kind === 'unterminated-quote' && n.file === u.file && n.line === u.line)) {
        add('error', 'script-unsplittable', u, `vrrp_script ${s.name}: keepalived cannot split the script line (a quote left open, or a backslash at its end: "missing terminating …"), and 2.2.7 crashes reading it (its --config-test dies with SIGSEGV): no VRRP runs`,
          'close the quote (script \'/usr/bin/hacheck check\' or "…" on one line)', `script:${s.name}`);
      }
      continue;
    }
    const program = s.argv[0];
    if (!program) {
      add('error', 'script-missing', s, `vrrp_script ${s.name} has no script line: keepalived removes it → the VIP STAYS`, 'add `script "/usr/bin/hacheck"`', `script:${s.name}`);
      continue;
    }
    const at = s.scriptLoc ?? s;
    // (in a one-line block the words after the first are the block's lost keywords: parse-notes says so)
    const oneLine = ctx.local.parsed.notes.some((n) => n.kind === 'one-line-block' && n.file === at.file && n.line === at.line);
    if (s.scriptDropped && !oneLine) {
      // model.ts: keepalived splits only the first word of the line into argv (notify.c set_script_params_array)
      const meant = [...s.argv, ...s.scriptDropped];
      const was = hacheckRole(meant);
      const now = hacheckRole(s.argv);
      const role = was && was !== now ? `: it runs a plain \`hacheck\`${now === 'check' ? ' check (its default config and probes)' : ''}, not \`hacheck ${was}\`` : '';
      add('error', 'script-unquoted', at, `vrrp_script ${s.name}: the script line is not quoted: keepalived runs only \`${s.argv.join(' ')}\` and drops \`${s.scriptDropped.join(' ')}\`${role} (its --config-test does not say so)`,
        `quote the whole command: script "${meant.join(' ')}"`, `script:${s.name}:unquoted`);
    }
    const user = scriptUser(m, s);
    if (ctx.users && !ctx.users.has(user.name) && (user.from !== 'default' || m.scriptSecurity)) {
      add('error', 'script-user', user.from === 'script' ? s.user! : at, `vrrp_script ${s.name}: ${why.user(user.name, user.from)}: the check never runs → the VIP STAYS`,
        user.from === 'default' ? 'add `script_user root` to global_defs (or create the keepalived_script user)' : `create user ${user.name}, or name an existing one (\`getent passwd ${user.name}\`)`, `script:${s.name}`);
      continue;
    }
    const facts = ctx.scripts.get(program);
    if (facts && !facts.exists) {
      add('error', 'script-missing', at, `vrrp_script ${s.name}: ${why.missing(program)}, so a failure never changes anything → the VIP STAYS`,
        hacheckRole(s.argv) ? 'install hacheck (the deb/rpm put it in /usr/bin/hacheck) or fix the path' : `install it, or replace it with hacheck (\`script "/usr/bin/hacheck"\`)`, `script:${s.name}`);
    } else if (facts?.executable === false) {
      add('error', 'script-not-executable', at, `vrrp_script ${s.name}: ${why.noexec(program)}, so a failure never changes anything → the VIP STAYS (keepalived's --config-test does not say so)`,
        `chmod 755 ${program}`, `script:${s.name}:noexec`);
    } else if (facts?.unsafe) {
      if (m.scriptSecurity) {
        add('error', 'script-unsafe', at, `vrrp_script ${s.name}: ${facts.unsafe}: with enable_script_security keepalived disables the script as insecure, so the check does nothing → the VIP STAYS`,
          `chown root:root and chmod go-w ${program} and every directory above it`, `script:${s.name}`);
      } else {
        add('warning', 'script-unsafe', at, `vrrp_script ${s.name}: ${facts.unsafe}: keepalived runs it as root, so whoever can write it owns the node`,
          `chown root:root and chmod go-w ${program} and every directory above it`);
      }
    }
    // keepalived hands a `</…` line to /bin/sh -c; only bash knows /dev/tcp and /dev/udp
    const dev = /\/dev\/(tcp|udp)\//.exec(program);
    if (facts?.shell && dev && !/(^|\/)bash$/.test(facts.shell)) {
      const w = s.weight;
      add('error', 'script-always-fails', at, `vrrp_script ${s.name}: keepalived runs \`${s.argv.join(' ')}\` with /bin/sh -c, which is ${facts.shell} here: it has no /dev/${dev[1]}, so the redirect fails (exit 2) whatever nginx does: ${w ? `weight ${w} applies all the time and a real failure changes nothing` : 'the instance is in FAULT all the time'}`,
        `script "/usr/bin/hacheck --port 127.0.0.1:PORT" (or "/bin/bash -c '</dev/${dev[1]}/127.0.0.1/PORT'")`, `script:${s.name}:always-fails`);
    }
    if (facts?.text) {
      const killAfter = s.timeout || s.interval; // timeout 0 is no timeout, as in keepalived
      const killLoc = s.timeoutLoc ?? s.intervalLoc ?? s;
      const kills = killsKeepalived(facts.text);
      if (kills) {
        add('warning', 'kills-keepalived', at, `vrrp_script ${s.name}: ${program}:${kills.line} stops keepalived (\`${kills.text}\`): that drops VRRP for every instance on this node and nothing restarts it when nginx recovers`,
          'let the exit code do it: replace the script with `/usr/bin/hacheck --restart` and a negative weight (or weight 0 for FAULT)');
      }
      const slept = sleeps(facts.text);
      if (slept >= killAfter) {
        add('warning', 'script-killed', killLoc, `vrrp_script ${s.name}: ${program} sleeps ${sec(slept)} but keepalived kills it after ${sec(killAfter)}${!s.timeout ? ' (no timeout: the interval)' : ''}: its restart-and-recheck branch never finishes and counts as a failure`,
          'replace the script with `/usr/bin/hacheck --restart` (bounded by its --timeout), with keepalived `timeout` above that deadline');
      }
    }
  }
  return out;
};

const KILLS_KEEPALIVED = /\b(?:killall|pkill)(?:\s+-\S+)*\s+keepalived\b|\bsystemctl\s+stop\s+keepalived\b|\bservice\s+keepalived\s+stop\b|\/init\.d\/keepalived\s+stop\b/;

function killsKeepalived(text: string): { line: number; text: string } | undefined {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => !/^\s*#/.test(l) && KILLS_KEEPALIVED.test(l));
  return i < 0 ? undefined : { line: i + 1, text: lines[i].trim() };
}

/** Seconds a shell script sleeps in total (`sleep 5`), comments aside. */
function sleeps(text: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const mm of code.matchAll(/\bsleep\s+(\d+(?:\.\d+)?)\b/g)) total += Number(mm[1]);
  }
  return total;
}
