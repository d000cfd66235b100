// Durations and percentages are parsed once, here, at the config edge.
import * as v from 'valibot';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "1.5s", "2m" → milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** `hacheck status --max-age`: a duration above zero; undefined: status refuses it (exit 64). The doctor reads it with this one too. */
export function parseMaxAge(text: string): number | undefined {
  const ms = parseDuration(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/** A duration written as a string with a unit ("1.5s", "500ms"); yields milliseconds. */
export function duration(min = 1, max = 86_400_000) {
  return v.pipe(
    v.string('expected a duration such as "500ms" or "1.5s"'),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const ms = parseDuration(dataset.value);
      if (ms === undefined) {
        addIssue({ message: `bad duration "${dataset.value}": use a number with ms, s, m or h (e.g. 500ms, 1.5s)` });
        return NEVER;
      }
      if (ms < min || ms > max) {
        addIssue({ message: `duration ${dataset.value} out of range (${fmtMs(min)}..${fmtMs(max)})` });
        return NEVER;
      }
      return ms;
    }),
  );
}

/**
 * A percentage 0-100: a number (90, 92.5), or the same with a % sign ("90%"), as
 * the flags take it (--cpu-max 90%). Any other text is refused, never read as 0.
 */
export function percent() {
  return v.pipe(
    v.union([v.number(), v.string()], 'expected a percentage (number 0-100)'),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const x = dataset.value;
      const n = typeof x === 'number' ? x : /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?%$/.test(x.trim()) ? Number(x.trim().slice(0, -1)) : undefined;
      if (n === undefined || !Number.isFinite(n)) {
        addIssue({ message: `expected a percentage (number 0-100, e.g. 90 or "90%"), got ${JSON.stringify(x)}` });
        return NEVER;
      }
      if (n < 0 || n > 100) {
        addIssue({ message: `percentage must be ${n < 0 ? '>= 0' : '<= 100'}` });
        return NEVER;
      }
      return n;
    }),
  );
}

export function intRange(min: number, max: number, what = 'value') {
  return v.pipe(
    v.number(`expected an integer ${what}`),
    v.integer(`${what} must be an integer`),
    v.minValue(min, `${what} must be >= ${min}`),
    v.maxValue(max, `${what} must be <= ${max}`),
  );
}

/**
 * Seconds as keepalived's arithmetic is shown: "0.648s", "3.01s"; below a
 * millisecond in ms, two digits ("0.39ms": the skew time of priority 254 at
 * advert_int 0.05), never a "0s" that is not zero.
 */
export function fmtSec(s: number): string {
  if (s > 0 && s < 0.001) return `${+(s * 1000).toPrecision(2)}ms`;
  return `${+s.toFixed(3)}s`;
}

export function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  return `${+(ms / 60_000).toFixed(2)}m`;
}

/** Same sizes as durations: "64MiB", "1GB", "512k" → bytes. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit === 'b' ? 1 : unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : 1024 ** 3;
  return Math.round(Number(m[1]) * mult);
}

export const severity = v.optional(v.picklist(['critical', 'warning'], 'severity must be "critical" or "warning"'), 'critical');

/** A size ("64MiB", "1g", 1048576) → bytes; with perSecond, "50MiB/s" is accepted too. */
export function size(opts: { perSecond?: boolean } = {}) {
  const example = opts.perSecond ? '"50MiB/s"' : '"512MiB"';
  return v.pipe(
    v.union([v.number(), v.string()], `expected a size such as ${example}`),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      if (typeof dataset.value === 'number') {
        if (dataset.value >= 0 && Number.isFinite(dataset.value)) return dataset.value;
        addIssue({ message: `size must be >= 0` });
        return NEVER;
      }
      const text = opts.perSecond ? dataset.value.replace(/\/s$/, '') : dataset.value;
      const bytes = parseBytes(text);
      if (bytes === undefined) {
        addIssue({ message: `bad size "${dataset.value}": use a number with b, k, KiB, M, MiB, G, GiB (e.g. ${example})` });
        return NEVER;
      }
      return bytes;
    }),
  );
}

/** "5.2 MiB" for humans. */
export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** A kernel comm name (/proc/<pid>/comm): what nginx's processes are found by. */
export const comm = v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(15, 'a kernel comm name is at most 15 characters')), 'nginx');

/**
 * Why a path is not absolute and plain, for a refusal; undefined when it starts
 * with "/" and has no . or .. component.
 * keepalived runs a vrrp_script with the working directory / (and systemd the
 * agent), an operator's shell anywhere else: a relative path would name one
 * file under keepalived and another by hand, so every path a config or a flag
 * gives hacheck is absolute (only `-c` and the doctor's inputs, named by hand,
 * may be relative).
 */
export function relativeProblem(text: string, what = 'path'): string | undefined {
  if (!text.startsWith('/')) return `${what} ${JSON.stringify(text)} is relative: keepalived runs hacheck in /, a shell in its own directory, so it would name two different files; write the full path, from /`;
  // the kernel takes a/../b after following a (a symbolic link: then not b's sibling); hacheck's checks and
  // Node's path.join take it by the letters: /tmp/x/../state was judged as /tmp/state and opened as x's target's
  if (text.split('/').some((c) => c === '.' || c === '..')) return `${what} ${JSON.stringify(text)} has a . or .. component: the kernel resolves it after symbolic links, hacheck's checks by the letters, so the two could be two places; write the path without them`;
  return undefined;
}

/**
 * A file, directory or socket path: absolute (relativeProblem). "" (or blanks)
 * is refused, never read as "not set": a template that rendered nothing must
 * not drop a check (leave the key out for its default). A NUL byte is refused
 * too: no system call takes it.
 */
export function path(what = 'path') {
  return v.pipe(
    v.string(`expected a ${what}`),
    v.check((s) => s.trim() !== '', (i) => `empty ${what} (${JSON.stringify(i.input)}): give one, or leave the key out`),
    v.check((s) => !s.includes('\0'), `${what} contains a NUL byte`),
    v.check((s) => relativeProblem(s) === undefined, (i) => relativeProblem(String(i.input), what)!),
  );
}

/**
 * A probe's `name`: it keys files in the state dir (`sample-<name>.json`,
 * `streak-<name>.json`) and labels every output, so it is a plain label: 1 to 64
 * printable ASCII characters without `/` or `\\` (a path outside the state dir:
 * `../x`), `#` (hacheck's own `cpu#2` for an unnamed second cpu probe) or control
 * characters, not starting with `.` or a space, not ending with a space.
 * Characters the outputs cannot carry as they are (`=` `'` `|` in Nagios
 * perfdata, `"` in Prometheus labels) are handled there.
 */
export const probeName = v.optional(v.pipe(
  v.string('name must be a string'),
  v.regex(/^[!-"$-\-0-\[\]-~](?:[ -"$-.0-\[\]-~]{0,62}[!-"$-.0-\[\]-~])?$/, (i) => `probe name ${JSON.stringify(i.input)}: use 1 to 64 printable ASCII characters without "/", "\\" or "#", not starting with "." or a space (it names files in the state dir)`),
));

/**
 * A port as written in text (a port target, a URL, metrics.listen): decimal
 * digits only, no sign, no leading zero (080 is 64 to an octal reader, 80 to
 * nginx), within `min`..65535. The number, or undefined.
 */
export function portNumber(text: string, min = 1): number | undefined {
  if (!/^(?:0|[1-9][0-9]{0,4})$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= 65535 ? n : undefined;
}

/**
 * Why a host written as numbers is not what it looks like: inet_aton(3) and the
 * WHATWG URL parser read 127.1, 0x7f.0.0.1, 0177.0.0.1 and 2130706433 as
 * 127.0.0.1, so only the dotted-quad decimal form is taken (each part 0-255,
 * no leading zero). Undefined for a name or a plain IPv4 or IPv6 address.
 */
export function numericHostProblem(host: string): string | undefined {
  if (!/^(?:0x[0-9a-f]*|[0-9][0-9a-fx.]*)$/i.test(host) || !/^[0-9a-fx.]+$/i.test(host)) return undefined;
  // a name whose last label is no number (42.cafe) is a name to both (URL Standard 3.5, "ends in a number")
  if (!/^(?:[0-9]+|0x[0-9a-f]*)$/i.test(host.replace(/\.$/, '').split('.').pop()!)) return undefined;
  const parts = host.split('.');
  if (parts.length === 4 && parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return `host ${host} is an IPv4 address in a shorthand, octal or hexadecimal form (inet_aton and URL parsers read 127.1 and 0x7f.1 as 127.0.0.1): write the four decimal parts, e.g. 127.0.0.1`;
}

/**
 * The known key closest to a mistyped one: a letter or two off (Levenshtein,
 * at most 1 for short words, 2 up to 8 letters, else 3), a transposition, or
 * a longer or shorter spelling (`min_worker`, `interval_ms`); bounded work on
 * any input (only keys within that many letters of its length are compared).
 */
export function didYouMean(word: string, pool: readonly string[]): string | undefined {
  const max = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  const lower = word.toLowerCase();
  const sorted = [...lower].sort().join('');
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of pool) {
    if (Math.abs(k.length - word.length) > max) continue;
    // a transposition (or the same word in other case) counts as one letter off
    const d = k === lower ? 0 : k.length === lower.length && sorted === [...k].sort().join('') ? 1 : editDistance(lower, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  if (best !== undefined && bestD <= max) return best;
  if (lower.length < 4) return undefined;
  return pool.filter((k) => k.length >= 4 && (lower.startsWith(k) || k.startsWith(lower))).sort((a, b) => b.length - a.length)[0];
}

/** Levenshtein distance, for short words (also the doctor's, src/keepalived/keywords.ts). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}
