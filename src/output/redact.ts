// The one place secrets are taken out of what hacheck prints or writes: URL
// userinfo (http://user:pass@host/), Authorization and Proxy-Authorization
// values, cookie values. Every rendered target (probes build Check.target with
// redact()), the effective config (`validate --print`) and config error
// messages go through here, so table, JSON, Nagios, logs, status.json and
// metrics labels, which are all made from those, never carry a secret.

const MASK = 'xxxxx';

/** scheme://userinfo@ anywhere in a text, up to the authority's last @ (as the WHATWG URL parser reads it): masked whole (the user name can be the token). */
const USERINFO = /\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#\s]*@/g;

/** Any text (a reason, a summary): URL userinfo masked. For a URL on its own use redactUrl. */
export function redact(text: string): string {
  return text.includes('@') ? text.replace(USERINFO, `$1${MASK}@`) : text;
}

const SCHEME = /^(\s*[a-zA-Z][a-zA-Z0-9+.-]*:\/\/)/;

/**
 * One URL as configured: userinfo masked the way the WHATWG parser splits it
 * (the last @ before the first / ? # or \ after scheme://, so a password
 * holding a space or a tab, which the parser accepts and percent-encodes, is
 * masked whole). A text that does not parse as a URL (a bad URL in an error
 * message) is masked up to its last @: it may be a password holding a / ? or #.
 */
export function redactUrl(text: string): string {
  const scheme = SCHEME.exec(text)?.[1];
  if (!scheme || !text.includes('@')) return redact(text);
  let parsed = true;
  try {
    new URL(text);
  } catch {
    parsed = false;
  }
  const rest = text.slice(scheme.length);
  const authority = parsed ? rest.slice(0, rest.search(/[/?#\\]|$/)) : rest;
  const at = authority.lastIndexOf('@');
  return at < 0 ? redact(text) : `${scheme}${MASK}${rest.slice(at)}`;
}

const CREDENTIALS = new Set(['authorization', 'proxy-authorization']);
const COOKIES = new Set(['cookie', 'set-cookie']);

/** One header's value as it may be shown: credentials keep their scheme only, cookies their names only. */
export function redactHeader(name: string, value: string): string {
  const n = name.toLowerCase();
  if (CREDENTIALS.has(n)) {
    const scheme = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s+\S/.exec(value)?.[1];
    return scheme ? `${scheme} ${MASK}` : MASK;
  }
  if (n === 'cookie') return value.split(';').map((p) => p.replace(/=.*/s, `=${MASK}`)).join(';');
  if (COOKIES.has(n)) return value.replace(/^([^=;]*)=[^;]*/, `$1=${MASK}`);
  return redact(value);
}

/** A {Name: value} map with every value redacted (own keys only). */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, redactHeader(k, v)]));
}

/** A config (or any JSON-like value) for display: URL userinfo in every string, header values under every `headers` key. */
export function redactConfig<T>(value: T): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return redactUrl(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object' && !(v instanceof RegExp)) {
      if (key === 'headers') return redactHeaders(v as Record<string, string>);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    return v;
  };
  return walk(value) as T;
}
