/** See lock.mjs: a mkdir lock between concurrent builds and install tests; returns the release function. */
export function acquire(dir: string, opts?: { timeoutMs?: number; what?: string }): Promise<() => void>;
