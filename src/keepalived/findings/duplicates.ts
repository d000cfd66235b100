// A name defined twice: keepalived keeps the first definition and the second
// changes nothing (a second vrrp_script, track_file or vrrp_track_process is
// silently unused; a second vrrp_instance or vrrp_sync_group is skipped,
// "already defined"). The doctor's arithmetic runs on the first, as keepalived's.
import { finding, type Family, type Finding } from './types.js';

export const duplicates: Family = (ctx) => {
  const out: Finding[] = [];
  for (const d of ctx.local.model.duplicates) {
    const skipped = d.keyword === 'vrrp_instance' || d.keyword === 'vrrp_sync_group';
    out.push(finding('error', 'duplicate-definition', d.at,
      `${d.keyword} ${d.name} is already defined at ${d.first.file}:${d.first.line}: keepalived keeps that one and ${skipped ? 'skips this block ("already defined")' : 'never uses this block (its weight, script and timings count for nothing)'}`,
      `give this ${d.keyword} its own name, or delete the one you did not mean`, `dup:${d.keyword}:${d.name}:${d.at.file}:${d.at.line}`));
  }
  return out;
};
