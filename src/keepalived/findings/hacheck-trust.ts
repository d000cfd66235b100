// hacheck's own config as root reads it: with restart enabled it names the
// commands root runs, so a config (or a directory above it) that a non-root user
// can write is a root shell for that user, as keepalived's script security says
// of scripts (script-unsafe).
import { hacheckRole, flagValue } from '../arithmetic.js';
import { finding, type Family, type Finding, type HacheckFacts } from './types.js';

export const hacheckTrust: Family = (ctx) => {
  const out: Finding[] = [];
  const m = ctx.local.model;
  const seen = new Set<string>();
  const check = (f: Partial<HacheckFacts> | undefined, at: { file: string; line: number }, how: string) => {
    const id = f?.absPath ?? f?.path;
    if (!f?.path || !id || !f.restart || !f.writable || seen.has(id)) return;
    seen.add(id);
    out.push(finding('error', 'config-unsafe', at, `${f.path} (${how}) enables restart and ${f.writable}: whoever can change it chooses the command root runs on the next failure`,
      `chown root:root and chmod go-w ${f.path} and every directory above it`));
  };
  for (const s of m.scripts.values()) {
    if (!hacheckRole(s.argv)) continue;
    const cfg = flagValue(s.argv, ['-c', '--config']);
    check(cfg !== undefined ? ctx.scriptConfigs.get(cfg) : ctx.hacheck, s.scriptLoc ?? s, cfg !== undefined ? `-c of vrrp_script ${s.name}` : `the config vrrp_script ${s.name} reads`);
  }
  check(ctx.hacheck, m.top, 'the hacheck config');
  return out;
};
