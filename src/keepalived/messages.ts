// keepalived's config-test messages → findings at file:line, and the load-time
// effects they stand for (load.ts). Every message is kept: one this catalog does
// not know becomes a warning "keepalived says: …", verbatim. The texts are those
// of keepalived 2.2.7 (vrrp.c, vrrp_track.c, vrrp_sync.c, notify.c, parser.c);
// test/doctor/keepalived-messages.test.ts captures each from the real binary.
import { fmtSec as sec } from '../config/units.js';
import { dirname, resolve } from 'node:path';
import type { KeepalivedLine } from './config-test.js';
import { ARITHMETIC, BLOCK_KEYWORDS, DEFAULTS, didYouMean } from './keywords.js';
import { why, scriptUser, type Effect } from './load.js';
import type { Instance, KeepalivedModel, TrackKind } from './model.js';
import type { KNode, Loc, Parsed } from './parse.js';
import type { Finding, Severity } from './findings/types.js';
import { trackOrder } from './findings/tracking.js';
import { badWeight } from './findings/weights.js';
import { advertClamped, preemptDelayCleared } from './findings/instances.js';
import { numberSubject } from './findings/numbers.js';

export interface MessageContext {
  parsed: Parsed;
  /** the model before keepalived's effects */
  model: KeepalivedModel;
  role: 'local' | 'peer';
  /** every line keepalived printed for this file (a generic line may repeat a specific one) */
  lines: Located[];
}

export interface Located extends KeepalivedLine {
  /** the line's place in the doctor's display names */
  at?: Loc;
}

interface Read {
  severity: Severity;
  /** instead of the rule's code */
  code?: string;
  message: string;
  fix: string;
  at?: Loc;
  subject?: string;
}

interface MessageRule {
  re: RegExp;
  code: string;
  /** depends on this host's interfaces, users or files: on the peer's config it says nothing about the peer */
  host?: boolean;
  /** keepalived stops checking after it: its silence about the rest is no verdict */
  aborts?: boolean;
  effects?: (m: RegExpExecArray, x: MessageContext, at?: Loc) => Effect[];
  /** null: a consequence of another message, already reported there */
  read: (m: RegExpExecArray, x: MessageContext, at?: Loc) => Read | null;
}

const TRACK: Record<string, TrackKind> = { script: 'script', file: 'file', process: 'process', interface: 'interface' };
const inst = (x: MessageContext, name: string): Instance | undefined => x.model.instances.find((i) => i.name === name);
const scriptAt = (x: MessageContext, name: string): Loc | undefined => {
  const s = x.model.scripts.get(name);
  return s ? s.scriptLoc ?? s : undefined;
};
const trackAt = (x: MessageContext, instance: string, kind: TrackKind, name: string): Loc | undefined =>
  inst(x, instance)?.tracks.find((t) => t.kind === kind && t.name === name);
/** where a weight of a track line is written (the override, else the definition's weight line) */
const weightAt = (x: MessageContext, instance: string, kind: TrackKind, name: string): Loc | undefined => {
  const t = inst(x, instance)?.tracks.find((r) => r.kind === kind && r.name === name);
  const def = kind === 'script' ? x.model.scripts.get(name) : kind === 'file' ? x.model.files.get(name) : undefined;
  return t?.override?.weightLoc ?? def?.weightLoc ?? t;
};

/** The keyword node at a file:line and the block it sits in. */
export function nodeAt(parsed: Parsed, at: Loc): { node: KNode; block?: KNode } | undefined {
  const walk = (list: KNode[], block?: KNode): { node: KNode; block?: KNode } | undefined => {
    for (const n of list) {
      if (n.file === at.file && n.line === at.line) return { node: n, block };
      const r = n.children && walk(n.children, n);
      if (r) return r;
    }
    return undefined;
  };
  return walk(parsed.nodes);
}

/** lib/parser.c check_definition: `$NAME = value` (a blank before '=') defines nothing: an unknown keyword, and `$NAME` stays as written. */
export function spacedDefinition(n: KNode): { severity: Severity; message: string; fix: string } | undefined {
  if (!/^\$[A-Za-z_]\w*$/.test(n.keyword) || !n.args[0]?.startsWith('=')) return undefined;
  const def = `${n.keyword}=${[n.args[0].slice(1), ...n.args.slice(1)].filter(Boolean).join(' ')}`;
  return { severity: 'error', message: `\`${[n.keyword, ...n.args].join(' ')}\` is no definition to keepalived (no blank may stand before '='): it is an unknown keyword, and every ${n.keyword} below stays as written`, fix: `\`${def}\`` };
}

/** "unknown keyword" in plain words: what was meant, and what keepalived uses instead. */
export function unknownKeyword(word: string, block: string | undefined): { severity: Severity; message: string; fix: string } {
  // a space pasted from a web page or a word processor: keepalived's blanks are ASCII only (WHITE_SPACE_STR)
  const odd = /[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]/.exec(word);
  if (odd) {
    const code = `U+${odd[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    const meant = word.split(odd[0]).filter(Boolean);
    const known = meant[0] && block ? BLOCK_KEYWORDS[block]?.has(meant[0]) : false;
    return {
      severity: known && ARITHMETIC.has(meant[0]) ? 'error' : 'warning',
      message: `\`${word}\` holds a ${code === 'U+00A0' ? 'non-breaking space' : 'Unicode space'} (${code}), which keepalived does not take as a blank: it reads \`${word}\` as the keyword, unknown${block ? ` in ${block}` : ''}, and ignores the line${known && block && DEFAULTS[block]?.[meant[0]] ? ` (as written, ${DEFAULTS[block][meant[0]]})` : ''}`,
      fix: `retype the line with plain spaces${meant.length ? `: \`${meant.join(' ')}\`` : ''}`,
    };
  }
  const meant = didYouMean(word, block);
  if (meant === word) {
    const homes = Object.entries(BLOCK_KEYWORDS).filter(([, k]) => k.has(word)).map(([b]) => b);
    return { severity: ARITHMETIC.has(word) ? 'error' : 'warning', message: `\`${word}\` is not a keyword ${block ? `of ${block}` : 'at the top level'} (it belongs in ${homes.join(', ')}): keepalived ignores the line here`, fix: 'check the braces above: the block it belongs in was closed before this line, or never opened' };
  }
  const dflt = meant && block ? DEFAULTS[block]?.[meant] : undefined;
  const severity: Severity = meant && ARITHMETIC.has(meant) ? 'error' : 'warning';
  return {
    severity,
    message: `unknown keyword \`${word}\`${block ? ` in ${block}` : ''}: keepalived ignores the line${meant ? ` (did you mean \`${meant}\`?${dflt ? ` as written, ${dflt}` : ''})` : ''}`,
    fix: meant ? `\`${meant}\`${block ? ` (keepalived.conf(5), ${block})` : ''}` : `remove it, or check the spelling against keepalived.conf(5)${block ? ` for ${block}` : ''}`,
  };
}

const scriptOff = (name: string, reason: string): Effect[] => [{ kind: 'script-off', script: name, why: reason }];

/**
 * The block the doctor opened without its '{' that the line `at` lies in. keepalived's passes
 * disagree there: the process that skips the block (the parent skips vrrp_*, the VRRP process
 * global_defs) skips it only up to its keyword's next line and calls the rest unknown, where the
 * process that uses the block reads it (a value list reports nothing). The line joins that finding.
 */
const insideOpened = (x: MessageContext, at?: Loc) =>
  at && x.parsed.notes.find((n) => n.kind === 'missing-brace' && n.file === at.file && n.line < at.line && at.line <= (n.end ?? Infinity));
/** keepalived calls a keyword unknown that the doctor reads in a block that knows it: a pass of keepalived that skipped that block (above) */
const otherPass = (word: string, x: MessageContext, at?: Loc) => {
  if (!at || !x.parsed.notes.some((n) => n.kind === 'missing-brace')) return false;
  const block = nodeAt(x.parsed, at)?.block?.keyword;
  return !!block && !!BLOCK_KEYWORDS[block]?.has(word);
};

export const MESSAGES: MessageRule[] = [
  // lib/parser.c: quotes and braces (parse-notes.ts has the doctor's words; these lines join them)
  { re: /^Unterminated quote '(.*)'$|^Unmatched quote: '(.*)'$|^String '(.*)': missing terminating .$/s, code: 'unterminated-quote', read: () => null },
  { re: /^Missing '\{' at beginning of configuration block$/, code: 'missing-brace', read: () => null },
  { re: /^Block (\S+) has extra parameters (.+) \.\.\.$/, code: 'block-args', read: () => null },
  { re: /^Extra '\}' found$|^Unknown keyword '\}'$/, code: 'extra-brace', read: () => null },
  { re: /^Unexpected '\{' - ignoring$/, code: 'stray-brace', read: () => null },
  { re: /^There are (\d+) missing '\}'s or extra '\{'s$/, code: 'unclosed-block', read: () => null },
  { re: /^Invalid ~(?:SEQ|LST) (?:definition|values|specification) '(.*)'$|^~SEQ parameter strings too long '(.*)'$|^~SEQx is only valid for positive numbers '(.*)'$/s, code: 'seq-invalid', read: () => null },
  {
    // vrrp_parser.c vrrp_vscript_interval_handler / _timeout_handler: 0 is raised to 1 (the model does the same)
    re: /^\((.+)\): vrrp script (interval|timeout) must be greater than 0, setting to 1$/, code: 'script-value',
    read: (m, _x, at) => ({ severity: 'warning', message: `vrrp_script ${m[1]}: ${m[2]} 0: keepalived uses ${m[2]} 1 (whole seconds, 1 or more)`, fix: `${m[2]} 1 or more`, at }),
  },
  {
    re: /^\((.+)\) global_tracking is deprecated\. Use track_interface\/script\/file on the sync group$/, code: 'global-tracking',
    read: (m, _x, at) => ({ severity: 'info', message: `vrrp_sync_group ${m[1]}: global_tracking is the old name of sync_group_tracking_weight: keepalived reads it as that (the members' weighted tracking counts) and says it is deprecated`, fix: 'sync_group_tracking_weight', at }),
  },
  { re: /^\((.+)\) unknown state '(.*)', defaulting to BACKUP$|^\((.+)\) state previously set as MASTER - ignoring BACKUP$/, code: 'state-unknown', read: () => null },
  // vrrp_track.c / track_file.c alloc_track_*: the line is ignored (model.ts trackRefs `bad`); these join the finding at their line
  { re: /^\((.+)\) (?:unknown track (?:script|file|process) option (.+)|unknown track_interface (.+) option (.+)|weight without value specified for (?:track script |track file |track process |track_interface )?(.+)|duplicate track_(?:script|file|process|interface) (.+)) - ignoring$/, code: 'track-line-ignored', read: () => null },
  { re: /^\((.+)\) unknown track_(?:script|process|interace) (.+) weight option (.+) - ignoring$|^\((.+)\) unknown track file (.+) weight option (.+) - ignoring$/, code: 'track-weight-option', read: () => null },
  // vrrp_parser.c vrrp_vscript_weight_handler, track_file.c: a word after the weight other than reverse/noreverse is ignored (the weight stays)
  { re: /^vrrp_script (.+) unknown weight option (.+)$|^track_file (.+) unknown weight option (.+)$/, code: 'weight-option', read: () => null },
  {
    // vrrp_parser.c vrrp_auth_pass_handler: VRRP's authentication data is 8 bytes
    re: /^Truncating auth_pass to 8 characters$/, code: 'auth-pass-truncated',
    read: (_m, x, at) => {
      const pass = at ? nodeAt(x.parsed, at)?.node.args[0] : undefined;
      return { severity: 'info', message: `auth_pass${pass ? ` ${pass}` : ''} is longer than VRRP's 8 bytes: keepalived uses only${pass ? ` \`${pass.slice(0, 8)}\`` : ' the first 8 characters'}; the peer matches as long as its first 8 are the same`, fix: 'an auth_pass of at most 8 characters, the same on both nodes', at };
    },
  },
  // lib/parser.c null_strvec: the process exits (stops.ts has the finding); keepalived says nothing more
  { re: /^\*\*\* Configuration line starting `(.+)` is missing a parameter (?:after keyword `.+` )?at word position \d+$/, code: 'keepalived-stops', aborts: true, read: () => null },
  {
    // vrrp_ipaddress.c parse_ipaddress: the words after an address are its options (dev, label, scope ...)
    re: /^Unknown configuration entry '(.+)' for ip address - ignoring$/, code: 'vip-option',
    read: (m, _x, at) => ({ severity: /^[\d.:a-fA-F]+(\/\d+)?$/.test(m[1]) && /[.:]/.test(m[1]) ? 'error' : 'warning',
      message: `keepalived reads the words after an address as its options (dev, label, scope …): \`${m[1]}\` is none, so it is ignored${/[.:]/.test(m[1]) ? ': an address written there is not configured (one address per line)' : ''}`,
      fix: 'one address per line in virtual_ipaddress, options after it (dev eth0, label eth0:1)', at }),
  },
  // vrrp_parser.c vrrp_vrid_handler: the line is ignored, "the virtual router id must be set" follows (no-vrid)
  { re: /^\((.+)\): VRID '(.+)' not valid - must be between 1 & 255$/, code: 'no-vrid', read: () => null },
  // lib/parser.c check_glob_file / open_and_check_glob: the include notes (parse.ts globMatches) say the same
  { re: /^Configuration file '(.+)' (?:is a directory|is not a regular non-executable file|open problem \(.*\)) - skipping$/, code: 'include-skipped', read: () => null },
  { re: /^Config files missing '(.+)'\.$|^No config files matched '(.+)'\.$|^Some config files missing: "(.+)"\.$|^(.+) - no matching file$/, code: 'include-empty', read: () => null },
  {
    re: /^Unknown keyword '(.+)'$/, code: 'unknown-keyword',
    effects: (m, x, at) => (at && !insideOpened(x, at) && !otherPass(m[1], x, at) ? [{ kind: 'drop-line', at }] : []),
    read: (m, x, at) => {
      if (insideOpened(x, at) || otherPass(m[1], x, at)) return null;
      const here = at ? nodeAt(x.parsed, at) : undefined;
      const block = here?.block?.keyword;
      const spaced = here && spacedDefinition(here.node);
      if (spaced) return { ...spaced, at, subject: `line:${at!.file}:${at!.line}` };
      return { ...unknownKeyword(m[1], block), at, subject: at && `line:${at.file}:${at.line}` };
    },
  },
  {
    re: /^\((.+)\) ignoring tracked script (.+) with weights due to (SYNC group|address_owner)$/, code: 'sync-group-weights',
    effects: (m, x) => [{ kind: 'track-off', instance: m[1], track: 'script', name: m[2], why: m[3] === 'SYNC group' ? why.sync(inst(x, m[1])?.syncGroup?.name ?? '?') : why.owner }],
    read: (m, x) => {
      const sync = m[3] === 'SYNC group';
      const i = inst(x, m[1]);
      return {
        severity: 'error', code: sync ? 'sync-group-weights' : 'address-owner',
        message: `vrrp_instance ${m[1]}: track_script ${m[2]}: ${sync ? why.sync(i?.syncGroup?.name ?? '?') : why.owner} → the VIP STAYS`,
        fix: sync ? 'weight 0 (FAULT; the whole group fails over), or add sync_group_tracking_weight to the group' : 'priority 254 or lower (or weight 0 to go to FAULT)',
        at: sync ? weightAt(x, m[1], 'script', m[2]) : i?.priorityLoc ?? i,
        subject: `track:${m[1]}:script:${m[2]}`,
      };
    },
  },
  {
    re: /^\((.+)\) ignoring weight from tracked file (.+) due to (SYNC group|address_owner)\. specify weight 0$/, code: 'track-file-weight0',
    effects: (m, x) => [{ kind: 'track-weight0', instance: m[1], track: 'file', name: m[2], why: m[3] === 'SYNC group' ? why.sync(inst(x, m[1])?.syncGroup?.name ?? '?') : why.owner }],
    read: (m, x) => ({
      severity: 'warning',
      message: `vrrp_instance ${m[1]}: track_file ${m[2]}: keepalived drops its default weight 1 (${m[3] === 'SYNC group' ? 'member of a vrrp_sync_group' : 'address owner'}): any non-zero value is FAULT`,
      fix: 'write `weight 0` on the track_file so the config says what keepalived does',
      at: trackAt(x, m[1], 'file', m[2]), subject: `track:${m[1]}:file:${m[2]}`,
    }),
  },
  {
    re: /^\((.+)\) ignoring tracked file (.+) with weight (-?\d+) due to (SYNC group|address_owner)$/, code: 'sync-group-weights',
    effects: (m, x) => [{ kind: 'track-off', instance: m[1], track: 'file', name: m[2], why: m[4] === 'SYNC group' ? why.sync(inst(x, m[1])?.syncGroup?.name ?? '?') : why.owner }],
    read: (m, x) => ({
      severity: 'error', code: m[4] === 'SYNC group' ? 'sync-group-weights' : 'address-owner',
      message: `vrrp_instance ${m[1]}: track_file ${m[2]} (weight ${m[3]}): ${m[4] === 'SYNC group' ? why.sync(inst(x, m[1])?.syncGroup?.name ?? '?') : why.owner} → the VIP STAYS`,
      fix: 'weight 0 on the track_file (a non-zero value is FAULT), or add sync_group_tracking_weight to the group',
      at: weightAt(x, m[1], 'file', m[2]), subject: `track:${m[1]}:file:${m[2]}`,
    }),
  },
  {
    re: /^\((.+)\) ignoring (\S+) tracked interface (weight )?due to (SYNC group|address owner)$/, code: 'track-interface-weight',
    effects: (m) => [{ kind: m[3] ? 'track-weight0' : 'track-off', instance: m[1], track: 'interface', name: m[2], why: m[3] ? 'keepalived drops the weight in a sync group' : 'keepalived ignores tracked interfaces on the address owner' }],
    read: (m, x) => ({
      severity: 'warning',
      message: `vrrp_instance ${m[1]}: track_interface ${m[2]}: ${m[3] ? 'keepalived drops the weight (sync group): the interface going down is FAULT' : 'keepalived ignores it on the address owner'}`,
      fix: m[3] ? 'write it without a weight' : 'remove the line, or priority 254 or lower',
      at: trackAt(x, m[1], 'interface', m[2]), subject: `track:${m[1]}:interface:${m[2]}`,
    }),
  },
  {
    // vrrp.c: the instance's own interface is tracked anyway (down is FAULT), so the line and its weight are dropped
    re: /^\((.+)\) Ignoring track_interface (.+) since own interface$/, code: 'track-interface-own',
    effects: (m) => [{ kind: 'track-weight0', instance: m[1], track: 'interface', name: m[2], why: why.ownInterface(m[2]) }],
    read: (m, x) => ({
      severity: 'warning',
      message: `vrrp_instance ${m[1]}: track_interface ${m[2]}: ${why.ownInterface(m[2])}`,
      fix: 'remove the line: the instance already goes to FAULT when its own interface goes down (track another interface for a weight)',
      at: trackAt(x, m[1], 'interface', m[2]), subject: `track:${m[1]}:interface:${m[2]}`,
    }),
  },
  {
    re: /^\((.+)\) Cannot have weighted track script '(.+)' with member having priority 255 - clearing weight$/, code: 'address-owner',
    effects: (m, x) => x.model.instances.filter((i) => i.syncGroup?.name === m[1]).map((i) => ({ kind: 'track-weight0' as const, instance: i.name, track: 'script' as const, name: m[2], why: `a member of vrrp_sync_group ${m[1]} is the address owner: keepalived clears the weight` })),
    read: (m, x) => ({ severity: 'warning', message: `vrrp_sync_group ${m[1]}: track_script ${m[2]}: a member is the address owner (priority 255): keepalived clears the weight, a failure is FAULT for the whole group`, fix: 'weight 0 on that line, or no address owner in the group', at: groupAt(x.parsed, m[1]), subject: `group:${m[1]}:owner` }),
  },
  {
    re: /^Disabling track script (.+) since not found\/accessible$/, code: 'script-missing', host: true,
    effects: (m, x) => scriptOff(m[1], why.missing(x.model.scripts.get(m[1])?.argv[0] ?? 'the script')),
    read: (m, x) => ({
      severity: 'error',
      message: `vrrp_script ${m[1]}: ${why.missing(x.model.scripts.get(m[1])?.argv[0] ?? 'its program')}, so a failure never changes anything → the VIP STAYS`,
      fix: 'install it or fix the path (hacheck: /usr/bin/hacheck)', at: scriptAt(x, m[1]), subject: `script:${m[1]}`,
    }),
  },
  {
    re: /^Disabling track script (.+) due to insecure$/, code: 'script-unsafe', host: true,
    effects: (m) => scriptOff(m[1], why.unsafe('it or a directory above it can be changed by a non-root user')),
    read: (m, x) => ({
      severity: 'error',
      message: `vrrp_script ${m[1]}: with enable_script_security keepalived disables the script as insecure (it or a directory above it is not root-owned or is group/other-writable), so the check does nothing → the VIP STAYS`,
      fix: `chown root:root and chmod go-w ${x.model.scripts.get(m[1])?.argv[0] ?? 'the script'} and every directory above it`,
      at: scriptAt(x, m[1]), subject: `script:${m[1]}`,
    }),
  },
  { re: /^check_script_secure could not find script '(.+)' - disabling$/, code: 'script-missing', host: true, read: () => null },
  { re: /^Unsafe permissions found for script '(.+)'.* - disabling\.?$/, code: 'script-unsafe', host: true, read: () => null },
  { re: /^Unable to access script `(.+)` - disabling$/, code: 'script-missing', host: true, read: () => null },
  {
    re: /^WARNING - script '(.+)' is not executable for uid:gid (\d+):(\d+) - disabling\.$/, code: 'script-not-executable', host: true,
    read: (m, x) => {
      const s = [...x.model.scripts.values()].find((v) => v.argv[0] === m[1]);
      return { severity: 'error', message: `${m[1]} is not executable for uid:gid ${m[2]}:${m[3]}: keepalived disables ${s ? `vrrp_script ${s.name}` : 'the script'}`, fix: `chmod 755 ${m[1]}`, at: s ? s.scriptLoc ?? s : undefined, subject: s && `script:${s.name}` };
    },
  },
  {
    re: /^Unable to set default user for vrrp script (.+) - removing$/, code: 'script-user', host: true,
    effects: (m, x) => {
      const s = x.model.scripts.get(m[1]);
      const u = s ? scriptUser(x.model, s) : { name: '?', from: 'default' as const };
      return scriptOff(m[1], why.user(u.name, u.from));
    },
    read: (m, x) => {
      const s = x.model.scripts.get(m[1]);
      const u = s ? scriptUser(x.model, s) : { name: '?', from: 'default' as const };
      return {
        severity: 'error', message: `vrrp_script ${m[1]}: ${why.user(u.name, u.from)}: the check never runs → the VIP STAYS`,
        fix: u.from === 'default' ? 'add `script_user root` to global_defs (or create the keepalived_script user)' : `create user ${u.name}, or name an existing one`,
        at: s ? s.scriptLoc ?? s : undefined, subject: `script:${m[1]}`,
      };
    },
  },
  { re: /^Unable to set default user (\S+) for script$/, code: 'script-user', host: true, read: () => null },
  { re: /^Error setting global script uid\/gid$/, code: 'script-user', host: true, read: () => null },
  {
    re: /^Unable to set uid\/gid for script '(.+)'$/, code: 'script-user', host: true,
    read: (m, x, at) => {
      const s = [...x.model.scripts.values()].find((v) => v.argv[0] === m[1] && v.user);
      return s ? null : { severity: 'error', message: `keepalived cannot run ${m[1]} as the user it names: it removes the script`, fix: 'name an existing user', at };
    },
  },
  {
    re: /^Script user '(.+)' does not exist$/, code: 'script-user', host: true,
    read: (m, x, at) => ({ severity: 'error', message: `user ${m[1]} does not exist on this host: keepalived cannot run scripts as it`, fix: `create user ${m[1]}, or name an existing one`, at: at ?? x.model.scriptUser, subject: `user:${m[1]}` }),
  },
  {
    re: /^No script set for vrrp_script (.+) - removing$/, code: 'script-missing',
    effects: (m) => scriptOff(m[1], 'it has no `script` line: keepalived removes it'),
    read: (m, x) => ({ severity: 'error', message: `vrrp_script ${m[1]} has no script line: keepalived removes it → the VIP STAYS`, fix: 'add `script "/usr/bin/hacheck"`', at: x.model.scripts.get(m[1]), subject: `script:${m[1]}` }),
  },
  {
    re: /^\((.+)\) track (script|file|process) (.+) not found, ignoring\.\.\.$/, code: 'unknown-track',
    effects: (m, x) => {
      const kw = m[2] === 'script' ? 'vrrp_script' : m[2] === 'file' ? 'track_file' : 'vrrp_track_process';
      // "(G1) track script …": a vrrp_sync_group's line, off on every member
      const g = !inst(x, m[1]) ? x.model.syncGroups.find((sg) => sg.name === m[1]) : undefined;
      const later = (g ? g.tracks : inst(x, m[1])?.tracks ?? []).find((r) => r.kind === TRACK[m[2]] && r.name === m[3])?.later;
      const reason = later ? why.later(kw, m[3], later) : `keepalived finds no ${kw} ${m[3]} and ignores the line`;
      return (g ? g.members.map((mm) => mm.name) : [m[1]]).map((i) => ({ kind: 'track-off' as const, instance: i, track: TRACK[m[2]], name: m[3], why: reason }));
    },
    read: (m, x, at) => {
      // a line a list without '{' took in (`track_script chk` then the instance's own lines): part of that finding
      if (insideOpened(x, at)) return null;
      // defined, but only below the line: keepalived resolves names as it reads
      const g = !inst(x, m[1]) ? x.model.syncGroups.find((sg) => sg.name === m[1]) : undefined;
      const t = (g ? g.tracks : inst(x, m[1])?.tracks ?? []).find((r) => r.kind === TRACK[m[2]] && r.name === m[3] && r.later);
      if (t) {
        const f = trackOrder(m[1], t, g ? 'vrrp_sync_group' : 'vrrp_instance');
        return { severity: f.severity, code: f.code, message: f.message, fix: f.fix, at: t, subject: f.subject };
      }
      // a script keepalived removed (its user, no script line) is reported where it is defined
      if (m[2] === 'script' && x.model.scripts.has(m[3])) return null;
      const kw = m[2] === 'script' ? 'vrrp_script' : m[2] === 'file' ? 'track_file' : 'vrrp_track_process';
      return {
        severity: 'error', message: `vrrp_instance ${m[1]} tracks ${kw} ${m[3]}, which is not defined: keepalived ignores the line, so this check does nothing`,
        fix: `define \`${kw} ${m[3]} { … }\` or fix the name`, at: at ?? trackAt(x, m[1], TRACK[m[2]], m[3]), subject: `track:${m[1]}:${m[2]}:${m[3]}`,
      };
    },
  },
  {
    re: /^\((.+)\) Warning - nopreempt will not work with initial state MASTER - clearing$/, code: 'nopreempt-master',
    read: (m, x) => ({
      severity: 'warning', message: `vrrp_instance ${m[1]}: nopreempt with state MASTER: keepalived clears nopreempt ("will not work with initial state MASTER")`,
      fix: 'state BACKUP on both nodes (priority still decides who starts as master)', at: inst(x, m[1])?.nopreemptCleared ?? inst(x, m[1]), subject: `instance:${m[1]}:nopreempt`,
    }),
  },
  {
    // vrrp.c vrrp_complete_instance: the model predicts the same (model.ts loadRules), these lines confirm it
    re: /^\((.+)\) (?:Warning - preempt delay will not work with initial state MASTER - clearing|preempt_delay is incompatible with (?:strict|nopreempt) mode - resetting)$/, code: 'preempt-delay-cleared',
    read: (m, x) => {
      const i = inst(x, m[1]);
      const f = preemptDelayCleared(m[1], i?.preemptDelayCleared ?? { at: i?.preemptDelayLoc ?? i ?? x.model.top, why: 'a setting that keeps it from acting' });
      return { severity: f.severity, message: f.message, fix: f.fix, at: { file: f.file, line: f.line }, subject: f.subject };
    },
  },
  {
    re: /^\((.+)\) Priority not valid! must be between 1 & 255\. Using default 100$/, code: 'priority-range',
    read: (m, x, at) => ({
      severity: 'error', message: `vrrp_instance ${m[1]}: priority ${inst(x, m[1])?.badPriority ?? ''} is ${/^\d*$/.test(inst(x, m[1])?.badPriority ?? '') ? 'outside 1..255' : 'not a whole number 1..255'}: keepalived ignores it and uses 100`.replace('priority  is', 'the priority is'),
      fix: 'priority 1..254 (255 only for the address owner)', at: at ?? inst(x, m[1])?.priorityLoc, subject: `instance:${m[1]}:priority`,
    }),
  },
  {
    re: /^\((.+)\): vrrp script (interval|timeout|fall value|rise value) '(.+)' (?:must be between .*|invalid)(?: - ignoring|, defaulting to 1)$/, code: 'script-value',
    effects: (_m, _x, at) => (at ? [{ kind: 'drop-line', at }] : []),
    read: (m, _x, at) => {
      const kw = m[2].split(' ')[0];
      const dflt = kw === 'interval' ? 'interval 1' : kw === 'timeout' ? 'the interval as timeout' : `${kw} 1`;
      return { severity: 'error', message: `vrrp_script ${m[1]}: ${kw} ${m[3]} is not valid for keepalived (${kw === 'interval' || kw === 'timeout' ? 'whole seconds, 1 or more' : 'a whole number, 1 or more'}): it uses ${dflt} instead`, fix: `${kw} with a whole number (only hacheck's agent goes below a second)`, at };
    },
  },
  // weights out of range: each kind has its own range and fallback (model.ts BadWeight); the line keeps no effect
  // of its own (a vrrp_script's value is even kept): the model already did what keepalived does
  { re: /^vrrp_script (.+) weight (.+) must be in \[-253, 253\]$/, code: 'weight-range', read: (m, x, at) => weightRead(x, at, 'script', m[1]) },
  { re: /^\((.+)\) track script (.+): weight must be between \[-253\.\.253\] inclusive, ignoring\.\.\.$/, code: 'weight-range', read: (m, x, at) => weightRead(x, at, 'script', m[2], m[1]) },
  { re: /^Weight \((.+)\) for track_file (.+) must be between \[-254\.\.254\] inclusive\. Ignoring\.\.\.$/, code: 'weight-range', read: (m, x, at) => weightRead(x, at, 'file', m[2]) },
  { re: /^\((.+)\) weight for track file (.+) must be in \[-254\.\.254\] inclusive\. Ignoring\.\.\.$/, code: 'weight-range', read: (m, x, at) => weightRead(x, at, 'file', m[2], m[1]) },
  { re: /^Weight \((.+)\) for vrrp_track_process (.+) must be between \[-254\.\.254\] inclusive\. Ignoring\.\.\.$/, code: 'weight-range', read: (m, x, at) => weightRead(x, at, 'process', m[2]) },
  { re: /^\((.+)\) weight for track process (.+) must be in \[-254\.\.254\] inclusive\. Ignoring\.\.\.$/, code: 'weight-range', read: (m, x, at) => weightRead(x, at, 'process', m[2], m[1]) },
  { re: /^\((.+)\) weight (.+) for (.+) must be between \[-253\.\.253\] inclusive\. Ignoring\.\.\.$/, code: 'weight-range', read: (m, x, at) => weightRead(x, at, 'interface', m[3], m[1]) },
  // a track_script or track_interface line's +/-254
  { re: /^\((.+)\) weight for (.+) cannot be \+\/-254\. Setting to \+\/-253$/, code: 'weight-range', read: (m, x, at) => weightRead(x, at, undefined, m[2], m[1]) },
  // a generic range/number line precedes the specific one on the same line: said once, there
  {
    // lib/parser.c read_int_func / read_unsigned_func / read_decimal_unsigned_long_func: the generic line before the keyword's own
    re: /^(?:number '(.+)' outside (?:range \[.*\]|integer range|unsigned integer range|unsigned 64 bit range|unsigned decimal range)|invalid number '(.+)'|negative number '(.+)'|number '(.+)' has too many decimal places)$/, code: 'value',
    read: (m, x, at) => (at && (x.lines.some((l) => l.at && l.at.file === at.file && l.at.line === at.line && !/^(number '|invalid number|negative number)/.test(l.text))
      // the model's own finding says what keepalived keeps (preempt_delay 5s is 5 µs)
      || nodeAt(x.parsed, at)?.node.keyword === 'preempt_delay')
      ? null
      : { severity: 'warning', message: `keepalived says: ${m[0]}: it ignores the value`, fix: 'see keepalived.conf(5) for the range', at }),
  },
  {
    re: /^\((.+)\) Strict mode does not support authentication\. Ignoring\.$/, code: 'strict-auth',
    read: (m, x) => {
      const i = inst(x, m[1]);
      return {
        severity: 'warning', message: `vrrp_instance ${m[1]}: vrrp_strict drops authentication ("Strict mode does not support authentication"): a peer that keeps auth_type rejects this node's adverts and both become MASTER`,
        fix: 'remove the authentication block on both nodes, or drop vrrp_strict', at: i?.authLoc ?? i, subject: `instance:${m[1]}:auth`,
      };
    },
  },
  {
    re: /^\((.+)\) VRRPv([23]) advertisement interval ([\d.]+)s must be (?:an integer\. rounding|in units of 10ms - rounding)$/, code: 'advert-int-rounded',
    read: (m, x) => {
      const i = inst(x, m[1]);
      return {
        severity: m[2] === '2' ? 'error' : 'warning',
        message: `vrrp_instance ${m[1]}: advert_int ${+Number(m[3]).toFixed(3)}: keepalived rounds it to ${i ? sec(i.advertInt) : '?'}${m[2] === '2' ? ' (VRRPv2 adverts carry whole seconds)' : ' (VRRPv3: 10 ms steps)'}`,
        fix: m[2] === '2' ? '`version 3` in this vrrp_instance on both nodes (or `vrrp_version 3` in global_defs, for every instance) for sub-second adverts, or a whole advert_int' : 'a multiple of 0.01',
        at: i?.advertIntLoc ?? i, subject: `instance:${m[1]}:advert_int`,
      };
    },
  },
  {
    // vrrp.c vrrp_complete_instance: above what the advert's field holds (VRRPv3: 4095 x 10 ms)
    re: /^\((.+)\) VRRPv([23]) advertisement interval ([\d.]+)s is out of range\. Must be less than ([\d.]+)s\. Setting to ([\d.]+)s$/, code: 'advert-int-clamped',
    read: (m, x) => {
      const i = inst(x, m[1]);
      return { ...advertClamped(m[1], +m[3], +m[5], +m[2] as 2 | 3), at: i?.advertIntLoc ?? i, subject: `instance:${m[1]}:advert_int` };
    },
  },
  {
    re: /^\((.+)\) Advert interval \((.+)\) not valid! Must be > 0 - ignoring$/, code: 'advert-int-range',
    read: (m, x, at) => ({ severity: 'error', message: `vrrp_instance ${m[1]}: advert_int ${m[2]} is ${/^(\d+\.?\d*|\.\d+)$/.test(m[2]) ? 'outside 0.01..255' : 'not a number of seconds (0.01..255, no unit)'}: keepalived ignores it and uses 1s`, fix: 'advert_int 0.1 or more (VRRPv3) or a whole number of seconds (VRRPv2)', at: at ?? inst(x, m[1])?.advertIntLoc, subject: `instance:${m[1]}:advert_int` }),
  },
  {
    re: /^\((.+)\) down_timer_adverts is incompatible with strict mode - resetting$/, code: 'strict-down-timer',
    read: (m, x) => ({ severity: 'warning', message: `vrrp_instance ${m[1]}: vrrp_strict resets down_timer_adverts to 3: the master down timer is 3 × advert_int + skew`, fix: 'remove down_timer_adverts, or drop vrrp_strict', at: inst(x, m[1]) }),
  },
  {
    re: /^\((.+)\) State MASTER must match being address owner$/, code: 'strict-master',
    read: (m, x) => {
      const i = inst(x, m[1]);
      return { severity: 'warning', message: `vrrp_instance ${m[1]}: vrrp_strict: state ${i?.state ?? 'MASTER'} does not match priority ${i?.priority ?? '?'} (only the address owner, priority 255, starts as MASTER): keepalived starts it as ${i?.priority === 255 ? 'MASTER' : 'BACKUP'}`, fix: 'state BACKUP (priority decides who becomes master)', at: i?.stateLoc ?? i, subject: `instance:${m[1]}:state` };
    },
  },
  {
    re: /^\((.+)\) nopreempt is incompatible with priority 255\. resetting nopreempt$/, code: 'nopreempt-owner',
    read: (m, x) => ({ severity: 'warning', message: `vrrp_instance ${m[1]}: nopreempt on the address owner (priority 255): keepalived clears it`, fix: 'remove nopreempt, or priority 254 or lower', at: inst(x, m[1])?.priorityLoc ?? inst(x, m[1]) }),
  },
  {
    re: /^Virtual router (.+) specified in sync group (.+) doesn't exist - ignoring$/, code: 'sync-group-member',
    read: (m, x) => {
      const g = x.model.syncGroups.find((s) => s.name === m[2]);
      return { severity: 'warning', message: `vrrp_sync_group ${m[2]} names ${m[1]}, which is no vrrp_instance: keepalived ignores the name`, fix: 'fix the name, or remove it from the group', at: memberAt(x.parsed, m[2], m[1]) ?? g, subject: `group:${m[2]}:${m[1]}` };
    },
  },
  {
    re: /^Virtual router (.+) cannot exist in more than one sync group; ignoring (.+)$/, code: 'sync-group-member',
    read: (m, x) => ({ severity: 'warning', message: `vrrp_instance ${m[1]} is in more than one vrrp_sync_group: keepalived keeps it in the first and ignores it in ${m[2]}`, fix: `remove ${m[1]} from ${m[2]}`, at: memberAt(x.parsed, m[2], m[1]) ?? groupAt(x.parsed, m[2]), subject: `group:${m[2]}:${m[1]}` }),
  },
  {
    re: /^Sync group (.+) has only 1 virtual router\(s\) - this probably isn't what you want$/, code: 'sync-group-single',
    read: (m, x) => ({ severity: 'warning', message: `vrrp_sync_group ${m[1]} has one member: it syncs nothing`, fix: 'add the instances that must move together, or remove the group', at: groupAt(x.parsed, m[1]), subject: `group:${m[1]}` }),
  },
  {
    re: /^Sync group (.+) has no virtual router\(s\)\. removing$|^Sync group (.+), no matching virtual router found in group declaration - removing$/, code: 'sync-group-empty',
    read: (m, x) => ({ severity: 'warning', message: `vrrp_sync_group ${m[1] ?? m[2]} has no member keepalived knows: it removes the group`, fix: 'name the vrrp_instances that must move together', at: groupAt(x.parsed, m[1] ?? m[2]), subject: `group:${m[1] ?? m[2]}` }),
  },
  {
    re: /^\((.+)\) track_(script|process|interface|bfd) (.+) is configured on VRRP instance and sync group\. Remove vrrp instance (?:or sync group )?config$/, code: 'sync-group-duplicate-track',
    read: (m, x) => ({ severity: 'warning', message: `vrrp_instance ${m[1]} tracks ${m[2]} ${m[3]} itself and through its vrrp_sync_group: keepalived uses the group's line`, fix: "remove the instance's line", at: trackAt(x, m[1], (TRACK[m[2]] ?? 'script'), m[3]) }),
  },
  {
    re: /^vrrp (instance|sync group) (.+) already defined$/, code: 'duplicate-definition',
    read: (m, x, at) => {
      const keyword = m[1] === 'instance' ? 'vrrp_instance' : 'vrrp_sync_group';
      const first = m[1] === 'instance' ? inst(x, m[2]) : x.model.syncGroups.find((g) => g.name === m[2]);
      return { severity: 'error', message: `${keyword} ${m[2]} is already defined${first ? ` at ${first.file}:${first.line}` : ''}: keepalived keeps that one and skips this block ("already defined")`,
        fix: `give this ${keyword} its own name, or delete the one you did not mean`, at, subject: at && `dup:${keyword}:${m[2]}:${at.file}:${at.line}` };
    },
  },
  {
    re: /^Warning - script (.+) is not used$/, code: 'unused-script',
    read: (m, x) => ({ severity: 'warning', message: `vrrp_script ${m[1]} is defined but no vrrp_instance tracks it: keepalived never runs it`, fix: `add \`${m[1]}\` to the track_script block of the vrrp_instance it should protect, or delete it`, at: x.model.scripts.get(m[1]), subject: `script:${m[1]}:unused` }),
  },
  {
    re: /^SECURITY VIOLATION - scripts are being executed but script_security not enabled\.(.*)$/, code: 'no-script-security',
    read: (m, x) => ({
      severity: 'warning',
      message: `enable_script_security is not set: keepalived runs the check scripts as root${m[1].includes('insecure') ? ' and some of them can be changed by a non-root user' : ' even if a non-root user can replace them'}`,
      fix: 'add `enable_script_security` to global_defs (and keep the script and its directories root-owned, not group/other-writable)', at: x.model.global ?? x.model.top, subject: 'global:script-security',
    }),
  },
  {
    re: /^WARNING - script `(.+)` resolved by path search to `(.+)`\. Please specify full path\.$/, code: 'script-path',
    read: (m, x) => {
      const s = [...x.model.scripts.values()].find((v) => v.argv[0] === m[1]);
      return { severity: 'warning', message: `vrrp_script ${s?.name ?? m[1]}: \`${m[1]}\` is found through PATH (${m[2]})`, fix: `script "${m[2]}"`, at: s ? s.scriptLoc ?? s : undefined };
    },
  },
  {
    re: /^\((.+)\) No VIP specified; at least one is (required|sensible)$/, code: 'no-vip',
    // "required": keepalived will not run at all (stops.ts: the keepalived-stops finding, which this line joins)
    read: (m, x) => ({ severity: m[2] === 'required' ? 'error' : 'warning', message: `vrrp_instance ${m[1]} has no virtual_ipaddress: there is nothing to move`, fix: 'add a virtual_ipaddress block', at: inst(x, m[1]), ...(m[2] === 'required' && { subject: `instance:${m[1]}:stops` }) }),
  },
  {
    re: /^\((.+)\) the virtual router id must be set$/, code: 'no-vrid',
    read: (m, x) => ({ severity: 'error', message: `vrrp_instance ${m[1]} has no virtual_router_id: keepalived does not start it`, fix: 'virtual_router_id 1..255, the same on both nodes', at: inst(x, m[1]), subject: `instance:${m[1]}:stops` }),
  },
  {
    re: /^\((.+)\) cannot use a loopback interface \((.+)\) for vrrp - ignoring$/, code: 'interface', host: true,
    read: (m, x, at) => ({ severity: 'error', message: `vrrp_instance ${m[1]}: interface ${m[2]} is a loopback: keepalived ignores it`, fix: 'the interface the VIP lives on (e.g. eth0)', at: at ?? inst(x, m[1])?.interfaceLoc, subject: `instance:${m[1]}:interface` }),
  },
  {
    re: /^WARNING - interface (.+) for vrrp_instance (.+) doesn't exist$/, code: 'interface', host: true,
    read: (m, x, at) => ({ severity: 'error', message: `vrrp_instance ${m[2]}: interface ${m[1]} does not exist on this host`, fix: 'the interface the VIP lives on here (ip -br link)', at: inst(x, m[2])?.interfaceLoc ?? at, subject: `instance:${m[2]}:interface` }),
  },
  { re: /^\((.+)\) Unknown interface!$/, code: 'interface', host: true, read: () => null },
  {
    re: /^Non-existent interface specified in configuration$/, code: 'interface', host: true, aborts: true,
    read: (_m, x) => ({ severity: 'info', message: 'keepalived stopped its config test at the missing interface: what follows was checked by the doctor alone', fix: 'run the doctor where the interfaces exist (on the node itself)', at: x.model.top, subject: 'global:aborted' }),
  },
];

/** keepalived's word on a weight it rejects: the model's record of it (same words and subject as the weights family). */
function weightRead(x: MessageContext, at: Loc | undefined, kind: TrackKind | undefined, name: string, owner?: string): Read | null {
  const b = x.model.badWeights.find((w) => (!kind || w.kind === kind) && w.name === name && w.owner === owner && (!at || (w.file === at.file && w.line === at.line)))
    ?? x.model.badWeights.find((w) => (!kind || w.kind === kind) && w.name === name && w.owner === owner);
  if (!b) return null;
  const f = badWeight(b, x.model);
  return { severity: f.severity, message: f.message, fix: f.fix, at: b, subject: f.subject };
}

function groupAt(parsed: Parsed, name: string): Loc | undefined {
  return parsed.nodes.find((n) => n.keyword === 'vrrp_sync_group' && n.args[0] === name);
}

function memberAt(parsed: Parsed, group: string, member: string): Loc | undefined {
  const g = parsed.nodes.find((n) => n.keyword === 'vrrp_sync_group' && n.args[0] === group);
  return g?.children?.find((k) => k.keyword === 'group')?.children?.find((c) => c.keyword === member || c.args.includes(member));
}

/** keepalived's file name → the doctor's: the main file when none is named. */
export function locate(l: KeepalivedLine, parsed: Parsed): Loc | undefined {
  if (l.line === undefined) return undefined;
  if (!l.file) return { file: parsed.files[0], line: parsed.lineMaps?.get(parsed.paths[0])?.[l.line - 1] ?? l.line };
  // an include is printed as written in the include line: relative to the main file's directory
  const file = l.file;
  let i = parsed.paths.indexOf(file);
  if (i < 0 && parsed.paths[0]) i = parsed.paths.indexOf(resolve(dirname(parsed.paths[0]), file));
  if (i < 0) i = parsed.paths.findIndex((p) => p.endsWith(`/${file}`));
  // after a line keepalived cut in two, its line numbers run ahead of the file's
  const map = i >= 0 ? parsed.lineMaps?.get(parsed.paths[i]) : undefined;
  return { file: i >= 0 ? parsed.files[i] : file, line: map?.[l.line - 1] ?? l.line };
}

export interface MappedMessages {
  findings: Finding[];
  effects: Effect[];
  /** keepalived stopped before the end: its silence is no verdict */
  aborted: boolean;
  /** lines about this host's interfaces, users or files printed for the peer's config: they say nothing about the peer */
  hostNotes: string[];
}

/** Every line of a config test → findings and effects. Host-dependent lines on the peer's config become notes. */
export function mapMessages(lines: KeepalivedLine[], x: Omit<MessageContext, 'lines'>): MappedMessages {
  const located: Located[] = lines.map((l) => ({ ...l, at: locate(l, x.parsed) }));
  const ctx: MessageContext = { ...x, lines: located };
  const findings: Finding[] = [];
  const effects: Effect[] = [];
  const hostNotes: string[] = [];
  let aborted = false;
  for (const l of located) {
    // a value the daemon reads other than the config test (numbers.ts): what -t says ("ignoring", "defaulting")
    // is not what will run; the line joins the doctor's config-test-differs finding and drives no effect
    const split = l.at && x.model.numberSplits.find((s) => s.file === l.at!.file && s.line === l.at!.line);
    if (split) {
      findings.push({ severity: 'error', code: 'config-test-differs', file: split.file, line: split.line, message: `keepalived says: ${l.text}`, fix: 'see keepalived.conf(5)', keepalived: [l.text], merge: true, subject: numberSubject(split) });
      continue;
    }
    const rule = MESSAGES.find((r) => r.re.test(l.text));
    // a message that names an instance first, "(VI_1) …", is about that instance
    const named = /^\(([^)]+)\)/.exec(l.text)?.[1];
    const top: Loc = l.at ?? (named ? inst(ctx, named) : undefined) ?? x.model.global ?? x.model.top;
    if (!rule) {
      // its own subject: two unknown lines about one instance are two findings, never one quoted under the other
      findings.push({ severity: x.role === 'peer' ? 'info' : 'warning', code: 'keepalived-says', ...top, message: `keepalived says: ${l.text}`, fix: 'see keepalived.conf(5); the doctor does not know this message', keepalived: [l.text], subject: `says:${l.text}` });
      continue;
    }
    const m = rule.re.exec(l.text)!;
    if (rule.aborts) aborted = true;
    const hostOnPeer = rule.host && x.role === 'peer';
    if (!hostOnPeer && rule.effects) effects.push(...rule.effects(m, ctx, l.at));
    const r = rule.read(m, ctx, l.at);
    const at = r?.at ?? top;
    if (hostOnPeer) {
      hostNotes.push(l.text);
      continue;
    }
    if (!r) {
      const subject = consequenceSubject(rule.code, m, x.model, x.parsed, l.at, located);
      findings.push({ severity: 'warning', code: rule.code, file: at.file, line: at.line, message: `keepalived says: ${l.text}`, fix: 'see keepalived.conf(5)', keepalived: [l.text], merge: true, ...(subject && { subject }) });
      continue;
    }
    findings.push({ severity: r.severity, code: r.code ?? rule.code, file: at.file, line: at.line, message: r.message, fix: r.fix, keepalived: [l.text], ...(r.subject && { subject: r.subject }) });
  }
  return { findings, effects, aborted, hostNotes };
}

/** The subject a follow-up line belongs to, so that its text joins the finding it explains. */
function consequenceSubject(code: string, m: RegExpExecArray, model: KeepalivedModel, parsed: Parsed, at?: Loc, lines: Located[] = []): string | undefined {
  // "invalid number '51x'" before "(VI_1): VRID '51x' not valid": both about the instance keepalived will not run
  if (code === 'value' && at) {
    const vrid = lines.map((l) => (l.at?.file === at.file && l.at.line === at.line ? /^\((.+)\): VRID '.*' not valid/.exec(l.text) : null)).find(Boolean);
    if (vrid) return `instance:${vrid[1]}:stops`;
  }
  if (code === 'include-skipped' && at) {
    // keepalived names the file as glob(3) gave it (relative, a directory with GLOB_MARK's '/')
    const name = m[1].replace(/\/+$/, '');
    const n = parsed.notes.find((o) => o.kind === 'include-skipped' && o.file === at.file && o.line === at.line && (o.skipped?.path === name || o.skipped?.path.endsWith(`/${name}`)));
    if (n) return `parse:${n.kind}:${n.file}:${n.line}:${n.skipped!.path}`;
  }
  if (code === 'unknown-track' && at) {
    const n = parsed.notes.find((o) => o.kind === 'missing-brace' && o.file === at.file && o.line < at.line && at.line <= (o.end ?? Infinity));
    if (n) return `parse:${n.kind}:${n.file}:${n.line}`;
  }
  if (code === 'no-vrid') return `instance:${m[1]}:stops`;
  if (code === 'keepalived-stops' && at) return `missing:${at.file}:${at.line}`;
  if (code === 'state-unknown') return `instance:${m[1] ?? m[3]}:state`;
  const note = braceNoteFor(code, parsed, at);
  if (note) return `parse:${note.kind}:${note.file}:${note.line}`;
  if (code === 'script-missing' || code === 'script-unsafe') {
    const s = [...model.scripts.values()].find((v) => v.argv[0] === m[1]);
    return s && `script:${s.name}`;
  }
  // a track line of a script keepalived removed: part of that script's finding
  if (code === 'unknown-track') return m[2] === 'script' && model.scripts.has(m[3]) ? `script:${m[3]}` : `track:${m[1]}:${m[2]}:${m[3]}`;
  if (code === 'script-user') {
    const s = [...model.scripts.values()].find((v) => v.argv[0] === m[1]) ?? [...model.scripts.values()].find((v) => !v.user);
    return s && `script:${s.name}`;
  }
  if (code === 'interface') return `instance:${m[1]}:interface`;
  return undefined;
}

/** The parse note a quote or brace line of keepalived's is about (its line; for a missing '{', the block keyword above it). */
function braceNoteFor(code: string, parsed: Parsed, at?: Loc) {
  const notes = parsed.notes;
  if (code === 'unclosed-block') return notes.find((n) => n.kind === 'unclosed-block');
  if (!at) return undefined;
  const here = (n: { file: string; line: number }) => n.file === at.file && n.line === at.line;
  const opened = () => notes.filter((n) => n.kind === 'missing-brace' && n.file === at.file && n.line <= at.line).at(-1);
  if (code === 'unterminated-quote' || code === 'include-empty' || code === 'seq-invalid') return notes.find((n) => n.kind === code && here(n));
  if (code === 'block-args') return notes.find((n) => n.kind === 'missing-brace' && here(n)) ?? notes.find((n) => n.kind === code && here(n));
  // read_line counts only the braces written: the '}' closing a block opened without '{' is "extra" to it
  // ... and the '}'s after a block keepalived did not skip: they close what it was read into, then stand at the top level
  const stray = () => notes.filter((n) => (n.kind === 'block-not-skipped' || n.kind === 'stray-brace') && n.file === at.file && n.line < at.line).at(-1);
  if (code === 'extra-brace') return notes.find((n) => n.kind === code && here(n)) ?? opened() ?? stray();
  if (code === 'stray-brace') return notes.find((n) => (n.kind === 'stray-brace' || n.kind === 'block-not-skipped') && here(n)) ?? opened();
  if (code === 'missing-brace' || code === 'unknown-keyword') return opened();
  return undefined;
}
