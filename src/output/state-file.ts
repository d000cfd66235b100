// The keepalived track_file: one decimal integer and a newline, replaced
// atomically (temp + fsync + rename) so keepalived never reads an empty or
// partial file — which it would take as 0, i.e. healthy.
import type { Config } from '../config/schema.js';
import type { VerdictName } from '../verdict/verdict.js';
import { writeFileAtomic } from '../sys/atomic-write.js';

export type AgentConfig = Config['agent'];

/** The integer written for a verdict, from `agent.values`. */
export function trackValue(verdict: VerdictName, values: AgentConfig['values']): number {
  switch (verdict) {
    case 'healthy': return values.healthy;
    case 'warning': return values.warning ?? values.healthy;
    case 'unhealthy': return values.unhealthy;
    case 'forced-down': return values.forced_down ?? values.unhealthy;
  }
}

/** The value left behind when the agent stops; undefined = leave the file as it is. */
export function exitValue(agent: AgentConfig): number | undefined {
  if (agent.on_exit === 'keep') return undefined;
  if (agent.on_exit === 'healthy') return agent.values.healthy;
  if (agent.on_exit === 'unhealthy') return agent.values.unhealthy;
  return agent.on_exit;
}

export function writeTrackFile(path: string, value: number): void {
  writeFileAtomic(path, `${Math.trunc(value)}\n`, { fsync: true, mkdir: true });
}
