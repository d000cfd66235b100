// How keepalived 2.2.7 reads a number of keepalived.conf (lib/parser.c), for the
// running daemon and for its --config-test, which do not always agree.
// - read_int_func / read_unsigned_func (strtol / strtoul): with ignore_error set
//   (most vrrp_script, track and timer keywords) the DAEMON only logs "WARNING -
//   invalid number '3.5'" and keeps the integer prefix when it is in range (`return
//   ignore_error && val in range && !CONFIG_TEST_BIT`); --config-test (-t) rejects the
//   same value, and the keyword's handler then says "ignoring" or "defaulting". So
//   `timeout 1.5` is 1 s in the daemon, `weight -60.5` is -60, `weight \-30` is 0
//   (no digits: strtol's 0), `interval 2s` is 2. Without ignore_error (priority,
//   virtual_router_id) both reject it.
// - read_decimal_unsigned_long_func (advert_int, preempt_delay): the same in both
//   (its return does not look at CONFIG_TEST_BIT); `5.` is 5 and `.5` is 0.5.

/** One value as keepalived reads it: what the running daemon uses, and whether --config-test accepts it. */
export interface NumberRead {
  /** the value the running daemon keeps (undefined: it rejects it and the handler's fallback applies) */
  daemon?: number;
  /** --config-test accepts it (a clean number in range); when false and `daemon` is set, the two disagree */
  test: boolean;
  /** what strtol/strtoul stored before any check (read_int_func's *res), e.g. for vrrp_script weight, which keeps it */
  raw: number;
}

/** strtol's reading: leading white space, an optional sign, decimal digits (0 and nothing consumed when there are none). */
function strto(text: string): { value: number; rest: string; negative: boolean } {
  const m = /^\s*([+-]?)(\d*)/.exec(text)!;
  if (!m[2]) return { value: 0, rest: text, negative: false };
  const value = Number(m[2]) * (m[1] === '-' ? -1 : 1);
  return { value, rest: text.slice(m[0].length), negative: m[1] === '-' };
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const UINT_MAX = 2 ** 32 - 1;

/**
 * lib/parser.c read_int_func (read_int_strvec): strtol, then "invalid number" for trailing text, "outside integer
 * range", "outside range [min, max]". `ignoreError`: the handler's last argument (true for most keywords).
 */
export function readInt(text: string | undefined, min: number, max: number, ignoreError = true): NumberRead {
  const t = text ?? '';
  const { value, rest } = strto(t);
  const inRange = value >= min && value <= max && value >= INT_MIN && value <= INT_MAX;
  const clean = rest === '' && inRange;
  return { raw: value, test: clean, daemon: clean || (ignoreError && inRange) ? value : undefined };
}

/**
 * lib/parser.c read_unsigned_func (read_unsigned_strvec): leading white space skipped, strtoul; a '-' is "negative
 * number" (strtoul wraps it: out of range unless it is -0), trailing text "invalid number".
 */
export function readUnsigned(text: string | undefined, min: number, max: number, ignoreError = true): NumberRead {
  const t = (text ?? '').replace(/^\s+/, '');
  const { value, rest, negative } = strto(t);
  const v = negative && value !== 0 ? 2 ** 64 + value : Math.abs(value);
  const inRange = v >= min && v <= max && v <= UINT_MAX;
  const clean = !t.startsWith('-') && rest === '' && inRange;
  return { raw: v, test: clean, daemon: clean || (ignoreError && inRange) ? v : undefined };
}

/**
 * lib/parser.c read_decimal_unsigned_long_func with `shift` decimal places (TIMER_HZ_DIGITS = 6 for times in
 * seconds): the '.' is dropped and zeros appended, more places than `shift` are rounded ("too many decimal
 * places"), then strtoull; trailing text is "invalid number" but the prefix so read (already scaled, or not) is
 * kept when in range. Daemon and config test alike. Returns the value in seconds (units / 10^shift), or
 * undefined when keepalived rejects it. `min`/`max` in seconds.
 */
export function readDecimal(text: string | undefined, min: number, max: number, shift = 6): number | undefined {
  const t = text ?? '';
  if (t.startsWith('-')) return undefined;
  const dp = t.indexOf('.');
  let places = dp >= 0 ? t.length - dp - 1 : 0;
  let roundUp = false;
  if (places > shift) {
    roundUp = (t[dp + shift + 1] ?? '') >= '5';
    places = shift;
  }
  const digits = (dp >= 0 ? t.slice(0, dp) + t.slice(dp + 1, dp + 1 + places) : t) + '0'.repeat(shift - places);
  const m = /^\s*\+?(\d+)/.exec(digits);
  const units = (m ? Number(m[1]) : 0) + (roundUp ? 1 : 0);
  const scale = 10 ** shift;
  return units >= Math.round(min * scale) && units <= Math.round(max * scale) ? units / scale : undefined;
}

/** A value the running daemon reads differently from its --config-test (the doctor models the daemon). */
export interface NumberSplit {
  file: string;
  line: number;
  /** the block it is in, as the finding names it: `vrrp_script chk`, `vrrp_instance VI_1: track_script chk` */
  owner: string;
  keyword: string;
  written: string;
  /** what the daemon uses, in the keyword's terms (`3`, `1 (0 is raised to 1)`) */
  daemon: string;
  /** what --config-test says keepalived does instead (`ignores it: interval 1`) */
  test: string;
}
