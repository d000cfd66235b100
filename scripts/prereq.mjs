// Build prerequisites. A tool the build needs and the machine lacks is one line
// naming the Debian package that provides it, never a stack trace; a step that
// could not do its job throws BuildError and leaves nothing cached as done.
import { spawnSync } from 'node:child_process';

/** The Debian package of each tool the build, the packaging and their checks run (Debian 12/13 names). */
export const DEBIAN_PACKAGE = {
  strip: 'binutils',
  'aarch64-linux-gnu-strip': 'binutils-aarch64-linux-gnu',
  file: 'file',
  tar: 'tar',
  npm: 'npm',
  'dpkg-deb': 'dpkg',
  'dpkg-shlibdeps': 'dpkg-dev',
  rpmbuild: 'rpm',
  lintian: 'lintian',
  rpmlint: 'rpmlint',
};

/** A failure the user can act on: its message is the whole story (no stack). */
export class BuildError extends Error {
  name = 'BuildError';
}

/** `cmd` is on PATH (of `env`). */
export const has = (cmd, env = process.env) => spawnSync('sh', ['-c', 'command -v "$1" >/dev/null', 'sh', cmd], { env }).status === 0;

/** "install the Debian package X (apt-get install X)" */
export const installHint = (pkg) => `install the Debian package ${pkg} (apt-get install ${pkg})`;

/** Throws a one-line BuildError when `cmd` is not on PATH: "<cmd> not found (<why>): install the Debian package …". */
export function need(cmd, why) {
  if (has(cmd)) return;
  throw new BuildError(`${cmd} not found${why ? ` (${why})` : ''}: ${installHint(DEBIAN_PACKAGE[cmd] ?? cmd)}`);
}

/**
 * Ends the script with one line on stderr for any error that escapes it:
 * "<prefix>: <message>". A BuildError's message is complete; anything else is
 * a bug of the script, whose stack HACHECK_BUILD_DEBUG=1 prints.
 */
export function oneLineErrors(prefix) {
  const fail = (e) => {
    const first = String(e?.message ?? e).split('\n')[0];
    const stack = process.env.HACHECK_BUILD_DEBUG ? `\n${e?.stack ?? ''}` : e instanceof BuildError ? '' : ' (HACHECK_BUILD_DEBUG=1 shows the stack)';
    process.stderr.write(`${prefix}: ${first}${stack}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}
