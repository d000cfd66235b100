// Bundle src/main.ts into one CommonJS file (dist/hacheck.cjs): no node_modules at run time.
// scripts/build-sea.mjs reuses these options for the single binary's bundle.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** A hash of the sources: the config cache (src/config/cache.ts) never serves one build's entries to another. */
const src = new URL('../src/', import.meta.url);
const sources = createHash('sha256');
for (const f of readdirSync(src, { recursive: true }).map(String).sort()) if (f.endsWith('.ts')) sources.update(f).update(readFileSync(new URL(f, src)));
sources.update(readFileSync(new URL('../package-lock.json', import.meta.url)));

export const bundleOptions = {
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  outfile: 'dist/hacheck.cjs',
  define: { HACHECK_VERSION: JSON.stringify(pkg.version), HACHECK_BUILD: JSON.stringify(sources.digest('hex').slice(0, 12)) },
  legalComments: 'none',
  // import('node:…') becomes require(): the single binary (a SEA with a snapshot) has no dynamic-import callback
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
};

if (import.meta.url === pathToFileURL(process.argv[1]).href) await build(bundleOptions);
