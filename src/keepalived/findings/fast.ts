// Sub-second failover settings (issue 17, measured in the lab with keepalived
// 2.2.7 under CPU contention): a VRRPv3 advert_int below 0.1 s let a BACKUP
// take over a healthy MASTER ("Receive advertisement timeout"), and an agent
// whose cycle deadline is longer than its interval, with fall 1, turned one slow
// answer into a false move; one with a 100 ms deadline, many. (VRRPv2 with a fractional advert_int: instances family.)
import { MIN_DEFAULT_CYCLE_TIMEOUT_MS } from '../../config/defaults.js';
import { fmtMs } from '../../config/units.js';
import { downAdverts, flagValue, hacheckRole, matchPeer } from '../arithmetic.js';
import { finding, sec, type Family, type Finding } from './types.js';

export const MIN_ADVERT_INT = 0.1;

export const fast: Family = (ctx) => {
  const out: Finding[] = [];
  const m = ctx.local.model;
  // both nodes' advert_int: VRRPv3 runs at the master's (a BACKUP adopts it: RFC 5798, vrrp.c), so the
  // peer's fast advert_int is this node's whenever the peer is MASTER
  const sides = [ctx.local, ...(ctx.peer ? [ctx.peer] : [])];
  for (const side of sides) {
    const other = side === ctx.local ? ctx.peer?.model : m;
    for (const inst of side.model.instances) {
      if (inst.version !== 3 || inst.advertInt >= MIN_ADVERT_INT) continue;
      // the BACKUP that must not miss its adverts is the other node (when known)
      const backup = other && matchPeer(inst, other);
      const { n } = backup ? downAdverts(backup, other) : downAdverts(inst, side.model);
      const lead = side.role === 'peer' ? `the peer's vrrp_instance ${inst.name}` : `vrrp_instance ${inst.name}`;
      const adopt = side.role === 'peer' ? ` (while the peer is MASTER this node runs at it too)` : '';
      out.push(finding('warning', 'advert-int-fast', inst.advertIntLoc ?? inst, `${lead}: advert_int ${sec(inst.advertInt)}${adopt}: below ${MIN_ADVERT_INT}s a BACKUP that misses ${n} adverts (${sec(n * inst.advertInt)}, one scheduling hiccup under load) takes over a healthy MASTER: measured with keepalived 2.2.7 at 0.05 and 0.02 under CPU load`,
        `advert_int ${MIN_ADVERT_INT}${side.role === 'peer' ? ' on the peer' : ''} (VRRPv3: the skew time scales with it; see \`hacheck init --fast\`)`));
    }
  }
  // the agent matters where keepalived tracks it: its track_file, or its `hacheck status` guard (whose -c names its config)
  const agentFile = [...m.files.values()].find((f) => ctx.arith.fileValues(m, f.name).ours);
  const guard = [...m.scripts.values()].find((s) => hacheckRole(s.argv) === 'status');
  const cfg = guard ? flagValue(guard.argv, ['-c', '--config']) : undefined;
  const facts = cfg !== undefined ? { ...ctx.hacheck, ...ctx.scriptConfigs.get(cfg) } : ctx.hacheck;
  const at = agentFile ?? (guard && (guard.scriptLoc ?? guard));
  const every = facts.agentIntervalMs;
  const cycle = facts.agentCycleMs;
  if (at && cycle !== undefined && cycle < MIN_DEFAULT_CYCLE_TIMEOUT_MS) {
    out.push(finding('warning', 'agent-deadline-short', at, `the agent (${cfg ?? ctx.hacheck.path ?? 'hacheck config'}) judges each cycle by a ${fmtMs(cycle)} deadline: under CPU contention a healthy nginx's answer takes longer than that${facts.agentFall === 1 ? ', and with agent.fall 1 one such cycle is unhealthy at once' : ''} (measured at a 100ms interval with a 100ms deadline: up to 17 false VIP moves in 30 s under load; none with 300ms and fall 2)`,
      `agent.timeout ${fmtMs(MIN_DEFAULT_CYCLE_TIMEOUT_MS)} (the default below a ${fmtMs(MIN_DEFAULT_CYCLE_TIMEOUT_MS)} interval; cycles still start every interval and never overlap)${facts.agentFall === 1 ? ' and agent.fall 2' : ''}`));
  } else if (at && every !== undefined && cycle !== undefined && facts.agentFall === 1 && cycle > every) {
    out.push(finding('warning', 'agent-fall-fast', at, `the agent (${cfg ?? ctx.hacheck.path ?? 'hacheck config'}) runs every ${fmtMs(every)} with a ${fmtMs(cycle)} cycle deadline and agent.fall 1: one answer slower than the interval under CPU contention on a healthy node is unhealthy at once (measured: up to 3 false VIP moves in 30 s under load)`,
      'agent.fall 2: evidence that cannot be contention (a dead or stopped nginx, no workers, refused connections) still fails over on the first cycle'));
  }
  return out;
};
