// A short command whose answer we wait for (nginx -t, keepalived --config-test,
// keepalived --version), bounded by a deadline. It runs in a process group of
// its own (setsid through `detached`) so the deadline kills everything it
// started: a wrapper script's children too, which would otherwise be left to
// init holding our pipes open.

/** What became of one bounded run. `out`: stdout and stderr interleaved, at most `maxOutput` characters. */
export interface BoundedRun {
  out: string;
  /** exit code; null when killed by a signal, at the deadline, or never started */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the deadline passed: the process group was killed */
  timedOut: boolean;
  /** it could not be started (ENOENT, EACCES): the errno code or message */
  error?: string;
  durationMs: number;
}

/**
 * Runs `cmd` (argv, no shell) with stdin closed and `env`, its stdout and stderr
 * gathered, killed with its whole process group (SIGKILL) `timeoutMs` after the
 * start, and at its exit (what it left running in its group goes too).
 * Resolves once, at the first of: the process has exited and its pipes have
 * closed; the deadline; a spawn error. Never rejects.
 */
export function runBounded(cmd: readonly string[], opts: { timeoutMs: number; env: NodeJS.ProcessEnv; maxOutput?: number }): Promise<BoundedRun> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  const max = opts.maxOutput ?? 64 * 1024;
  const t0 = performance.now();
  return new Promise((resolve) => {
    let out = '';
    let settled = false;
    const finish = (r: Omit<BoundedRun, 'out' | 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, out, durationMs: performance.now() - t0 });
    };
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: opts.env });
    const killGroup = () => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    };
    const take = (b: Buffer) => { if (out.length < max) out += b.toString('utf8'); };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    const timer = setTimeout(() => {
      killGroup();
      child.stdout!.destroy();
      child.stderr!.destroy();
      finish({ code: null, signal: 'SIGKILL', timedOut: true });
    }, Math.max(0, opts.timeoutMs));
    child.once('error', (e: NodeJS.ErrnoException) => finish({ code: null, signal: null, timedOut: false, error: e.code ?? e.message }));
    // whatever it left running in its group (a wrapper's background child) goes with it: the pipes close
    child.once('exit', killGroup);
    child.once('close', (code, signal) => finish({ code, signal, timedOut: false }));
  });
}
