// The target's Node binary without its symbols and debug info (~18 MB of a
// ~117 MB x64 binary), cached in dist/sea/ per Node version, arch and strip
// options. The cache holds only what a strip tool did strip: the copy is renamed
// into place and a marker (<file>.stripped, naming the tool) written after the
// tool succeeded, and a file without its marker (an unstripped copy cached by
// an older build when no strip for the arch was installed) is made again.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { BuildError, DEBIAN_PACKAGE, has, installHint } from './prereq.mjs';

export const STRIP = ['--strip-all', '--remove-section=.comment'];

/** Strip tools for an arch, first choice first: the cross strip for arm64 (a host strip only if it is multi-arch). */
export const STRIP_TOOLS = { x64: ['strip'], arm64: ['aarch64-linux-gnu-strip', 'strip'] };

/**
 * Path of the stripped copy of `src` (cached). Throws BuildError, leaving no
 * file behind, when no strip tool could strip it: one line naming the Debian
 * package that provides the arch's strip. `env` is the tools' environment (PATH).
 */
export function strippedNode({ src, arch, nodeVersion, dir = 'dist/sea', log = () => {}, env = process.env }) {
  const dst = `${dir}/node-${nodeVersion}-${arch}-${createHash('sha256').update(STRIP.join(' ')).digest('hex').slice(0, 8)}`;
  const marker = `${dst}.stripped`;
  if (existsSync(dst) && existsSync(marker)) return dst;
  if (existsSync(dst)) log(`${dst} was cached without a strip (no ${arch} strip then): stripping it again`);
  const tmp = `${dst}.${process.pid}.tmp`;
  const tried = [];
  try {
    copyFileSync(src, tmp);
    for (const strip of STRIP_TOOLS[arch]) {
      if (!has(strip, env)) {
        tried.push(`${strip} not installed`);
        continue;
      }
      const r = spawnSync(strip, [...STRIP, tmp], { encoding: 'utf8', env });
      if (r.status === 0) {
        log(`${strip}: ${(statSync(src).size / 1e6).toFixed(1)} MB → ${(statSync(tmp).size / 1e6).toFixed(1)} MB`);
        renameSync(tmp, dst);
        writeFileSync(marker, `${strip}\n`);
        return dst;
      }
      const said = (r.stderr || '').trim().split('\n')[0] || `exit ${r.status ?? r.signal}`;
      tried.push(said.startsWith(`${strip}: `) ? said : `${strip}: ${said}`);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  throw new BuildError(`cannot strip the ${arch} Node binary (${tried.join('; ')}): ${installHint(DEBIAN_PACKAGE[STRIP_TOOLS[arch][0]])}`);
}

