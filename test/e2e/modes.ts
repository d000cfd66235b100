// How each LB runs its health check in the lab: keepalived.conf fragments and
// files for hacheck one-shot (vrrp_script), hacheck agent (track_file + status
// guard) and the seed scripts (bench/seeds/), as the README tells users.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { LB, StackOptions } from './lab.ts';
import { FAST } from '../../src/commands/init.ts';

export interface HacheckOpts {
  /** restart nginx in place (config test first, budget); the restart command appends to <dir>/restarts */
  restart?: boolean;
  /** extra probes (YAML list items) for one LB only, e.g. a cpu threshold on the MASTER */
  extraProbes?: (lb: LB) => string;
  /** vrrp_script rise (default 2) */
  rise?: number;
  /** the one-shot vrrp_script's fall (default 1: the seed scripts' strictest; the shipped keepalived-oneshot.conf says 2) */
  fall?: number;
  /** hacheck's hard deadline (default 800ms: below the vrrp_script interval of 1 s) */
  timeout?: string;
  /** VRRP priorities of lb1, lb2 (default 100, 90) */
  priorities?: [number, number];
  /** hacheck's fail_fast: a failed critical probe ends the run */
  failFast?: boolean;
  /**
   * weight of the vrrp_script / track_file (and the agent's guard) instead of 0
   * (FAULT), e.g. -20 as `hacheck init` writes it for priorities 100/90: a
   * failure lowers the priority, and the BACKUP takes over only when its master
   * down timer expires (it discards the lower-priority adverts)
   */
  weight?: number;
  /** VRRP version (default 2) and advert_int in seconds (default 1) of both LBs */
  vrrpVersion?: 2 | 3;
  advertInt?: number;
}

const prio = (o: HacheckOpts, lb: LB) => (o.priorities ? o.priorities[lb === 'lb1' ? 0 : 1] : undefined);

export function hacheckYaml(lb: LB, dir: string, o: HacheckOpts = {}): string {
  return `timeout: ${o.timeout ?? '800ms'}
state_dir: ${dir}/state
maintenance_file: ""
${o.failFast ? 'fail_fast: true\n' : ''}log:
  level: info
  file: ${dir}/hacheck.log
${o.restart ? `restart:
  enabled: true
  cmd: [${dir}/restart.sh]
  config_test: [/usr/sbin/nginx, -t, -c, ${dir}/nginx.conf]
  budget: { max: 2, window: 10m }
  grace: 5s
  settle: 3s
` : ''}probes:
  - type: process
    pidfile: ${dir}/nginx.pid
    min_workers: 1
  - type: port
    targets: ["127.0.0.1:80"]
  - type: http
    urls:
      - http://127.0.0.1/healthz
${o.extraProbes?.(lb) ?? ''}`;
}

function restartScript(dir: string): string {
  return `#!/bin/sh\n# counts restarts, then starts nginx (daemon)\necho "$(date +%s%3N)" >> ${dir}/restarts\n[ -f ${dir}/restart-noop ] && exit 0\nexec /usr/sbin/nginx -c ${dir}/nginx.conf\n`;
}

/** (a) one-shot: vrrp_script every 1 s, fall 1 (`fall`: the README and keepalived-oneshot.conf say 2), weight 0 (failure → FAULT; `weight` to lower the priority instead). */
export function oneshot(hacheck: string, o: HacheckOpts = {}): StackOptions {
  return {
    files: (lb, dir) => ({ 'hacheck.yaml': hacheckYaml(lb, dir, o), 'restart.sh': restartScript(dir) }),
    keepalived: (lb, dir) => ({
      priority: prio(o, lb),
      version: o.vrrpVersion,
      advertInt: o.advertInt,
      defs: [
        'vrrp_script chk_hacheck {',
        `    script "${hacheck} check -c ${dir}/hacheck.yaml"`,
        '    interval 1',
        '    timeout 2',
        `    fall ${o.fall ?? 1}`,
        `    rise ${o.rise ?? 2}`,
        ...(o.weight ? [`    weight ${o.weight}`] : []),
        '}',
      ],
      track: ['    track_script {', '        chk_hacheck', '    }'],
    }),
  };
}

export interface AgentOpts extends HacheckOpts {
  interval?: string;
  maxAge?: string;
  cycleTimeout?: string;
  /** the agent's fall (ambiguous evidence; default 1 here), definitive_fall (default 1) and rise (default 2) */
  fall?: number;
  definitiveFall?: number;
  agentRise?: number;
  /** the status guard's vrrp_script fall (default 1) and timeout (default 2) */
  guardFall?: number;
  guardTimeout?: number;
  /** keepalived global_defs lines (e.g. vrrp_rt_priority) */
  globalDefs?: string[];
}

/**
 * (b) agent: `hacheck agent` keeps a track_file (weight 0: non-zero → FAULT;
 * `weight`: value × weight is added, as `hacheck init` writes it);
 * a vrrp_script running `hacheck status --max-age` catches a dead or hung agent.
 */
export function agent(hacheck: string, o: AgentOpts = {}): StackOptions {
  return {
    files: (lb, dir) => ({ 'hacheck.yaml': hacheckYaml(lb, dir, o), 'restart.sh': restartScript(dir) }),
    daemon: (_lb, dir) => `exec ${hacheck} agent -c ${dir}/hacheck.yaml --state-file ${dir}/track --status-file ${dir}/status.json --interval ${o.interval ?? '200ms'} --cycle-timeout ${o.cycleTimeout ?? '300ms'} --fall ${o.fall ?? 1} --definitive-fall ${o.definitiveFall ?? 1} --rise ${o.agentRise ?? 2}`,
    waitFor: (_lb, dir) => join(dir, 'track'),
    keepalived: (lb, dir) => ({
      priority: prio(o, lb),
      version: o.vrrpVersion,
      advertInt: o.advertInt,
      globalDefs: o.globalDefs,
      defs: [
        'track_file hacheck_state {',
        `    file ${dir}/track`,
        `    weight ${o.weight ?? 0}`,
        '}',
        'vrrp_script chk_agent {',
        `    script "${hacheck} status --status-file ${dir}/status.json --max-age ${o.maxAge ?? '1s'}"`,
        '    interval 1',
        `    timeout ${o.guardTimeout ?? 2}`,
        `    fall ${o.guardFall ?? 1}`,
        '    rise 1',
        ...(o.weight ? [`    weight ${o.weight}`] : []),
        '}',
      ],
      track: ['    track_file {', '        hacheck_state', '    }', '    track_script {', '        chk_agent', '    }'],
    }),
  };
}

/**
 * (c) `hacheck init --fast`, as it writes it (src/commands/init.ts FAST): VRRPv3,
 * advert_int 0.1, priorities 254/250, the agent every 100 ms with a 300 ms cycle
 * deadline, fall 2 (ambiguous) / definitive_fall 1, rise 10, weight 0, the
 * status guard every 1 s with --max-age 2s. `over` changes one knob (the bench's
 * other rows: fall 1, a 100 ms deadline, advert_int 0.05).
 */
export function fast(hacheck: string, over: AgentOpts = {}): StackOptions {
  return agent(hacheck, {
    interval: `${FAST.intervalMs}ms`, cycleTimeout: `${FAST.cycleTimeoutMs}ms`, fall: FAST.fall, definitiveFall: FAST.definitiveFall, agentRise: FAST.rise,
    maxAge: FAST.guard.maxAge, guardFall: FAST.guard.fall, guardTimeout: FAST.guard.timeout, globalDefs: [`vrrp_priority ${FAST.vrrpNice}`], priorities: [FAST.priority, FAST.priority - FAST.gap], vrrpVersion: FAST.vrrpVersion, advertInt: FAST.advertInt,
    ...over,
  });
}

export type Seed = '002' | '004';
const SEEDS = new URL('../../bench/seeds/', import.meta.url).pathname;

/**
 * A seed script from bench/seeds/, ported verbatim but for paths (nginx binary
 * and config, keepalived init script), tracked on the MASTER only with the
 * seed's own interval/weight/priorities, as the posts configure it.
 */
export function seed(which: Seed): StackOptions {
  const file = which === '002' ? 'nginx_status-002.sh' : 'ck_nginx-004.sh';
  const paths = (dir: string) => (s: string) => s
    .replaceAll('/usr/local/nginx/sbin/nginx', `${dir}/nginx`)
    .replaceAll('/etc/init.d/keepalived', `${dir}/keepalived-init`);
  return {
    files: (_lb, dir) => ({
      'check.sh': paths(dir)(readFileSync(join(SEEDS, file), 'utf8')),
      nginx: `#!/bin/sh\nexec /usr/sbin/nginx -c ${dir}/nginx.conf "$@"\n`,
      // /etc/init.d/keepalived stop, for a keepalived started with -p <dir>/keepalived.pid
      'keepalived-init': `#!/bin/sh\n[ "$1" = stop ] && kill $(cat ${dir}/keepalived.pid)\n`,
    }),
    keepalived: (lb, dir) => which === '002'
      ? {
        priority: lb === 'lb1' ? 101 : 99,
        defs: ['vrrp_script chk_http_port {', `    script "${dir}/check.sh"`, '    interval 2', '    weight 2', '}'],
        track: lb === 'lb1' ? ['    track_script {', '        chk_http_port', '    }'] : [],
      }
      : {
        priority: lb === 'lb1' ? 100 : 90,
        defs: ['vrrp_script ck_nginx {', `    script "${dir}/check.sh"`, '    interval 2', '    weight -20', '}'],
        track: lb === 'lb1' ? ['    track_script {', '        ck_nginx', '    }'] : [],
      },
  };
}
