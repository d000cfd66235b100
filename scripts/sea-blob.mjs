// Drop Node's built-in code cache from a SEA preparation blob that carries a start-up
// snapshot, keeping the snapshot's compiled functions (scripts/build-sea.mjs).
//
// Why: a snapshot built by `node --experimental-sea-config` keeps the bytecode of every
// function that ran at build time (V8 FunctionCodeHandling::kKeep) and, besides, a code
// cache for all 388 built-in modules (3.7 MB). A run deserialises that cache (6.7M
// instructions per one-shot check) and keeps it twice: the blob's pages of the binary and a
// heap copy. The snapshot already holds what the one-shot check runs, so the cache only
// speeds up built-ins first required at run time. Measured on the agent (process + port +
// 3 URLs + cpu, 1 s): RSS 62.4 -> 55.2 MiB; one-shot check 105.8M -> 99.1M instructions,
// a state change (logger loaded) 161.4M -> 154.7M. Node offers no switch for it:
// `withoutCodeCache` (--build-snapshot-config) also clears the bytecode (kClear), which
// made the one-shot check 124.6M, so the vector is cut from the blob here.
//
// Layouts, Node 24 (src/node_sea.cc, src/node_snapshotable.cc; str = u64 length + bytes,
// integers little-endian, no padding):
//   SEA blob: u32 magic 0x143da20, u32 flags, u8 exec_argv_extension, str code_path,
//             str snapshot, then the rest (exec argv, ...) copied as it is.
//   snapshot: u32 magic 0x143da19, u8 type, str version, str arch, str platform, u32 flags,
//             i32 size + V8 startup blob, isolate data info, env info, code cache vector
//             (u64 count, then per entry str id + str data) -- the last field.
// Every field is checked while walking; any other layout (a Node upgrade) fails the build
// with what was found instead of writing a binary that would not start.

const SEA_MAGIC = 0x143da20;
const SNAPSHOT_MAGIC = 0x143da19;
const SEA_USE_SNAPSHOT = 1 << 1;

class Reader {
  constructor(buf, what) {
    this.buf = buf;
    this.what = what;
    this.at = 0;
  }
  need(n) {
    if (this.at + n > this.buf.length) throw new Error(`${this.what}: truncated at byte ${this.at} (needs ${n} more of ${this.buf.length})`);
  }
  u8() { this.need(1); return this.buf[this.at++]; }
  u32() { this.need(4); const v = this.buf.readUInt32LE(this.at); this.at += 4; return v; }
  i32() { this.need(4); const v = this.buf.readInt32LE(this.at); this.at += 4; return v; }
  u64() {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.at);
    this.at += 8;
    if (v > BigInt(this.buf.length)) throw new Error(`${this.what}: implausible length ${v} at byte ${this.at - 8}`);
    return Number(v);
  }
  /** a u64 that is not a length (a SnapshotIndex): any value, SIZE_MAX included */
  index() { this.need(8); const v = this.buf.readBigUInt64LE(this.at); this.at += 8; return v; }
  bytes(n) { this.need(n); const v = this.buf.subarray(this.at, this.at + n); this.at += n; return v; }
  str() { return this.bytes(this.u64()); }
  vec(item) { const n = this.u64(); for (let i = 0; i < n; i++) item(); return n; }
}

function expect(what, got, want) {
  if (got !== want) throw new Error(`${what}: found ${JSON.stringify(got)}, expected ${JSON.stringify(want)}; the blob layout of this Node version is not the one scripts/sea-blob.mjs knows`);
}

/** The snapshot without its built-in code cache vector (an empty one instead), and what was dropped. */
function snapshotWithoutCodeCache(snap, nodeVersion) {
  const r = new Reader(snap, 'snapshot');
  expect('snapshot magic', r.u32(), SNAPSHOT_MAGIC);
  r.u8(); // type
  expect('snapshot Node version', r.str().toString('latin1'), nodeVersion);
  r.str(); // arch
  r.str(); // platform
  expect('snapshot flags (0 = with code cache)', r.u32(), 0);
  const v8Size = r.i32();
  if (v8Size <= 0) throw new Error(`snapshot: V8 startup blob size ${v8Size}`);
  r.bytes(v8Size);
  // A SnapshotIndex is a position, not a length: SIZE_MAX marks an empty slot (seen in
  // about one build in eight, with the env's state at snapshot time), so it is read as is.
  const index = () => r.index();
  const prop = () => { r.str(); r.u32(); r.index(); };
  // isolate data info: primitive values, template values
  r.vec(index);
  r.vec(prop);
  // env info: async hooks (3 buffers, 1 index, index vector), tick, immediate, timeout,
  // performance (3), exit, stream base, should-abort, then the principal realm
  for (let i = 0; i < 4; i++) index();
  r.vec(index);
  for (let i = 0; i < 9; i++) index();
  const builtins = [];
  r.vec(() => builtins.push(r.str().toString('latin1')));
  if (!builtins.includes('internal/bootstrap/realm')) throw new Error(`snapshot: the realm's built-in list (${builtins.length} entries) lacks internal/bootstrap/realm; layout not understood`);
  r.vec(prop);
  r.vec(prop);
  index(); // context
  const cacheAt = r.at;
  let bytes = 0;
  const entries = r.vec(() => {
    const id = r.str().toString('latin1');
    if (!/^[\w./-]+$/.test(id)) throw new Error(`snapshot: code cache entry id ${JSON.stringify(id)}; layout not understood`);
    bytes += r.str().length;
  });
  expect('end of the snapshot after its code cache', r.at, snap.length);
  const empty = Buffer.alloc(8); // u64 count 0
  return { snapshot: Buffer.concat([snap.subarray(0, cacheAt), empty]), entries, bytes };
}

/**
 * A SEA blob (from `node --experimental-sea-config` with useSnapshot) without the snapshot's
 * built-in code cache. `main` is the config's main path (checked against the blob's).
 */
export function dropBuiltinCodeCache(sea, { nodeVersion, main }) {
  const r = new Reader(sea, 'SEA blob');
  expect('SEA magic', r.u32(), SEA_MAGIC);
  const flags = r.u32();
  if (!(flags & SEA_USE_SNAPSHOT)) throw new Error(`SEA blob: flags ${flags} have no snapshot`);
  r.u8(); // exec_argv_extension
  expect('SEA code path', r.str().toString('utf8'), main);
  const sizeAt = r.at;
  const snap = r.str();
  const rest = sea.subarray(r.at);
  const out = snapshotWithoutCodeCache(snap, nodeVersion);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(out.snapshot.length));
  return { blob: Buffer.concat([sea.subarray(0, sizeAt), size, out.snapshot, rest]), entries: out.entries, bytes: out.bytes };
}
