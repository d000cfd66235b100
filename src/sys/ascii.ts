// Small ASCII checks for numbers read from the kernel and the network without
// regular expressions (the binary runs --jitless, where V8 interprets them too).

/** 1 to `maxLength` ASCII digits '0'-'9', nothing else (no sign, space or other script's digits). */
export function isAsciiDigits(s: string, maxLength: number): boolean {
  if (s.length < 1 || s.length > maxLength) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Text from outside (a server's reply, a pid file's content, a URL as configured) as it may be
 * quoted in a reason or a target: control characters (C0, DEL, C1: a terminal escape sequence, a
 * BEL, a line break, a NUL) as \xHH, at most `max` characters. Reasons reach a terminal (-v),
 * Nagios' web UI and logs.
 */
export function printable(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
