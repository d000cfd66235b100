// Bundle src/main.ts into one CommonJS file (dist/hacheck.cjs): no node_modules at run time.
// scripts/build-sea.mjs reuses these options for the single binary's bundle.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

export const bundleOptions = {
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  outfile: 'dist/hacheck.cjs',
  define: { HACHECK_VERSION: JSON.stringify(pkg.version) },
  legalComments: 'none',
  // import('node:…') becomes require(): the single binary (a SEA with a snapshot) has no dynamic-import callback
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
};

if (import.meta.url === pathToFileURL(process.argv[1]).href) await build(bundleOptions);
