// HTTP header fields by name, case-insensitively (RFC 9110 section 5.1: field names
// are case-insensitive) and own-entries-only: a Map, so "__proto__",
// "constructor" or "toString" are names like any other, never Object.prototype's.
// Used for request headers (layers merged: later wins) and response headers.

/** Header layers as written in the config: {Name: value}; only own keys are read. */
export type HeaderRecord = Record<string, string>;

export class HeaderMap {
  /** lower-cased name -> [name as last written, value] */
  private readonly m = new Map<string, [string, string]>();

  /** Layers in order; a later layer's field replaces an earlier one of any spelling (URL over probe, flag over file). */
  static from(...layers: (HeaderRecord | undefined)[]): HeaderMap {
    const h = new HeaderMap();
    for (const layer of layers) if (layer) for (const [k, v] of Object.entries(layer)) h.set(k, v);
    return h;
  }

  set(name: string, value: string): this {
    this.m.set(name.toLowerCase(), [name, value]);
    return this;
  }

  /** A repeated response field: values joined with ", " (RFC 9110 section 5.3). */
  append(name: string, value: string): this {
    const old = this.m.get(name.toLowerCase());
    return this.set(old ? old[0] : name, old ? `${old[1]}, ${value}` : value);
  }

  get(name: string): string | undefined {
    return this.m.get(name.toLowerCase())?.[1];
  }

  has(name: string): boolean {
    return this.m.has(name.toLowerCase());
  }

  delete(name: string): boolean {
    return this.m.delete(name.toLowerCase());
  }

  get size(): number {
    return this.m.size;
  }

  /** [name as written, value] in first-set order. */
  entries(): [string, string][] {
    return [...this.m.values()].map(([k, v]) => [k, v]);
  }

  /** Back to a config record (own properties only; "__proto__" stays an ordinary key). */
  toRecord(): HeaderRecord {
    return Object.fromEntries(this.entries());
  }
}

/** `base` with `over` laid on it, names compared case-insensitively: what flags do to a file's headers. */
export function mergeHeaders(base: HeaderRecord | undefined, over: HeaderRecord | undefined): HeaderRecord {
  return HeaderMap.from(base, over).toRecord();
}
