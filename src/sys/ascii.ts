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
