// vrrp_sync_group membership as keepalived 2.2.7 loads it (vrrp_sync.c): a
// name that is no vrrp_instance is dropped, a group left with one member syncs
// nothing, and weighted tracking needs sync_group_tracking_weight (arithmetic
// family). With keepalived's config test these are its own lines (keepalived-says).
import { finding, type Family, type Finding, type Side } from './types.js';

function groups(side: Side): Finding[] {
  const out: Finding[] = [];
  const names = new Set(side.model.instances.map((i) => i.name));
  const inGroup = new Map<string, string>();
  for (const g of side.parsed.nodes.filter((n) => n.keyword === 'vrrp_sync_group')) {
    const name = g.args[0] ?? '';
    // read_value_block: every word of every line is a member
    const members = (g.children?.find((k) => k.keyword === 'group')?.children ?? []).flatMap((c) => [c.keyword, ...c.args].map((keyword) => ({ ...c, keyword })));
    for (const mem of members) {
      if (!names.has(mem.keyword)) {
        out.push(finding('warning', 'sync-group-member', mem, `vrrp_sync_group ${name} names ${mem.keyword}, which is no vrrp_instance: keepalived ignores the name`, 'fix the name, or remove it from the group', `group:${name}:${mem.keyword}`));
      } else if (inGroup.has(mem.keyword)) {
        out.push(finding('warning', 'sync-group-member', mem, `vrrp_instance ${mem.keyword} is in more than one vrrp_sync_group: keepalived keeps it in the first (${inGroup.get(mem.keyword)}) and ignores it in ${name}`, `remove ${mem.keyword} from ${name}`, `group:${name}:${mem.keyword}`));
      }
    }
    const kept = members.filter((mm) => names.has(mm.keyword) && !inGroup.has(mm.keyword));
    for (const mm of kept) inGroup.set(mm.keyword, name);
    if (kept.length === 1) {
      out.push(finding('warning', 'sync-group-single', g, `vrrp_sync_group ${name} has one member: it syncs nothing`, 'add the instances that must move together, or remove the group', `group:${name}`));
    }
  }
  return out;
}

export const syncGroups: Family = (ctx) => (ctx.local.complete ? [] : groups(ctx.local));
