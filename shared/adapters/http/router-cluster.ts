/**
 * Per-core scaling of the plain Node router server (`router.workers`): N worker processes share the listening
 * port through node:cluster (the primary accepts and hands connections out round robin, Node's default on
 * Linux; `NODE_CLUSTER_SCHED_POLICY=none` leaves it to the kernel). Each worker is a whole router: its own
 * keep-alive pools, affinity cache and selection state, as separate router instances are. Only the plain server
 * (local mesh, containers, any host without a function runtime) uses this; serverless platforms scale instances.
 *
 * The primary serves nothing. It supervises: a worker that crashes (exits non-zero or by a signal) is replaced after
 * a backoff (doubling per consecutive crash, reset once a worker has stayed up), and SIGTERM is forwarded to every worker,
 * which drains (stops accepting, finishes requests in flight, cuts streams after a timeout) and exits; workers
 * still alive after the drain timeout are killed.
 *
 * The same script runs as primary and as worker (node:cluster forks `process.argv[1]` with the same arguments
 * and exec flags): branch on `cluster.isPrimary`, call `superviseRouterWorkers` in the primary and
 * `runRouterWorker` in the workers.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { MeshgateError } from '../../core/errors';

/** `router.workers` as configured: an integer >= 1 or `auto`. */
export type RouterWorkersSetting = number | 'auto';

/** The number of worker processes: `auto` is `os.availableParallelism()`. */
export function resolveRouterWorkers(setting: RouterWorkersSetting, parallelism: () => number = availableParallelism): number {
  if (setting === 'auto') return Math.max(1, parallelism());
  if (!(Number.isInteger(setting) && setting >= 1)) {
    throw new MeshgateError('validation', `router.workers must be an integer >= 1 or "auto", got ${String(setting)}`, { details: { path: 'router.workers' } });
  }
  return setting;
}

export interface RouterClusterOptions {
  readonly workers: number;
  /** First restart delay after a crash, ms. Default 100. */
  readonly restartInitialMs?: number;
  /** Longest restart delay, ms. Default 10 000. */
  readonly restartMaxMs?: number;
  /** A worker up this long resets its slot's backoff, ms. Default 30 000. */
  readonly stableAfterMs?: number;
  /** How long `stop()` waits for workers to drain and exit before killing them, ms. Default 15 000. */
  readonly stopTimeoutMs?: number;
  /**
   * Extra environment of a worker, by slot and start number (1 for the first start of a slot, 2 for its first
   * replacement, ...): e.g. a distinct HLC node id per process, as every writer to the replicated store needs.
   */
  readonly workerEnv?: (slot: number, start: number) => Readonly<Record<string, string>>;
  /** Structured events (worker started, exited, restarting). Default: one JSON line on stderr each. */
  readonly log?: (event: Readonly<Record<string, unknown>>) => void;
}

export interface RouterCluster {
  /** Resolves with the port once every initial worker listens; rejects if a worker dies before it listens. */
  readonly ready: Promise<number>;
  /** PIDs of the live workers. */
  workerPids(): number[];
  /** Workers started to replace ones that exited. */
  restarts(): number;
  /** Forwards SIGTERM to every worker, waits for them to drain and exit (killing stragglers). Idempotent. */
  stop(): Promise<void>;
}

interface Slot {
  worker: Worker | undefined;
  starts: number;
  startedAt: number;
  crashes: number;
  timer: NodeJS.Timeout | undefined;
}

const defaultLog = (event: Readonly<Record<string, unknown>>): void => {
  process.stderr.write(`${JSON.stringify({ level: event.event === 'router.worker_exited' ? 'warn' : 'info', ...event })}\n`);
};

/** In the cluster primary: forks `options.workers` workers and keeps that many running until `stop()`. */
export function superviseRouterWorkers(options: RouterClusterOptions): RouterCluster {
  if (!cluster.isPrimary) throw new Error('superviseRouterWorkers runs in the cluster primary');
  const count = resolveRouterWorkers(options.workers);
  const initialMs = options.restartInitialMs ?? 100;
  const maxMs = options.restartMaxMs ?? 10_000;
  const stableAfterMs = options.stableAfterMs ?? 30_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const log = options.log ?? defaultLog;
  const slots: Slot[] = Array.from({ length: count }, () => ({ worker: undefined, starts: 0, startedAt: 0, crashes: 0, timer: undefined }));
  let stopping: Promise<void> | undefined;
  let restarted = 0;
  let listening = 0;
  let settle: { resolve: (port: number) => void; reject: (err: Error) => void } | undefined;
  const ready = new Promise<number>((resolve, reject) => {
    settle = { resolve, reject };
  });
  ready.catch(() => undefined);

  const fork = (index: number): void => {
    const slot = slots[index] as Slot;
    slot.timer = undefined;
    slot.starts += 1;
    const worker = cluster.fork({ ...options.workerEnv?.(index, slot.starts), MESHGATE_ROUTER_WORKER: String(index) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    let listened = false;
    worker.once('listening', (address) => {
      listened = true;
      log({ event: 'router.worker_listening', worker: index, pid: worker.process.pid, port: address.port });
      if (settle !== undefined && ++listening === count) {
        settle.resolve(address.port);
        settle = undefined;
      }
    });
    worker.once('exit', (code, signal) => {
      slot.worker = undefined;
      if (stopping !== undefined) return;
      if (code === 0 && signal === null) {
        // Drained on a SIGTERM of its own (an operator's, or a process-group signal racing ours): not a crash.
        log({ event: 'router.worker_stopped', worker: index, pid: worker.process.pid });
        return;
      }
      if (!listened && settle !== undefined) {
        settle.reject(new Error(`router worker ${index} exited before listening (code ${String(code)}, signal ${String(signal)})`));
        settle = undefined;
      }
      const upMs = Date.now() - slot.startedAt;
      slot.crashes = upMs >= stableAfterMs ? 1 : slot.crashes + 1;
      const delayMs = Math.min(maxMs, initialMs * 2 ** (slot.crashes - 1));
      log({ event: 'router.worker_exited', worker: index, pid: worker.process.pid, code, signal, upMs, restartInMs: delayMs });
      slot.timer = setTimeout(() => {
        restarted += 1;
        fork(index);
      }, delayMs);
    });
  };
  slots.forEach((_, i) => fork(i));

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (settle !== undefined) {
        settle.reject(new Error('router cluster stopped before it was ready'));
        settle = undefined;
      }
      const exits: Array<Promise<void>> = [];
      for (const slot of slots) {
        if (slot.timer !== undefined) clearTimeout(slot.timer);
        const worker = slot.worker;
        if (worker === undefined || worker.isDead()) continue;
        exits.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
        worker.process.kill('SIGTERM');
      }
      const all = Promise.all(exits).then(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
      });
      if ((await Promise.race([all, timedOut])) === 'timeout') {
        for (const slot of slots) if (slot.worker !== undefined && !slot.worker.isDead()) slot.worker.process.kill('SIGKILL');
        await all;
      }
      clearTimeout(timer);
    })();
    return stopping;
  };

  return {
    ready,
    workerPids: () => slots.flatMap((s) => (s.worker !== undefined && !s.worker.isDead() && s.worker.process.pid !== undefined ? [s.worker.process.pid] : [])),
    restarts: () => restarted,
    stop,
  };
}

/** What a worker runs: a started server that can drain. */
export interface DrainableServer {
  drain(timeoutMs?: number): Promise<void>;
}

/**
 * In a cluster worker: starts the server, and on SIGTERM (forwarded by the primary) drains it and exits 0. SIGINT
 * is ignored: a Ctrl-C reaches the whole process group, and the primary turns it into an orderly SIGTERM. A
 * failure to start exits 1, which the primary treats as a crash. A worker whose primary is gone exits (node:cluster).
 */
export async function runRouterWorker(start: () => Promise<DrainableServer>, options: { readonly drainTimeoutMs?: number } = {}): Promise<void> {
  let server: DrainableServer;
  try {
    server = await start();
  } catch (err) {
    process.stderr.write(`${JSON.stringify({ level: 'error', event: 'router.worker_start_failed', pid: process.pid, error: String(err) })}\n`);
    process.exit(1);
  }
  let draining = false;
  const drain = (): void => {
    if (draining) return;
    draining = true;
    void server
      .drain(options.drainTimeoutMs)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', drain);
  process.on('SIGINT', () => undefined);
}
