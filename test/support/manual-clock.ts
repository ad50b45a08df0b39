/**
 * A clock that only moves when the test says so. `sleep()` resolves when `advance()`/`set()` pass its deadline,
 * in deadline order, with pending promise callbacks flushed between wake-ups.
 */
import type { Clock } from '../../shared/ports/clock';

interface Sleeper {
  readonly deadline: number;
  readonly seq: number;
  readonly resolve: () => void;
}

const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly sleepers = new Set<Sleeper>();

  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        deadline: this.current + Math.max(0, ms),
        seq: (this.seq += 1),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers.delete(sleeper);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.add(sleeper);
    });
  }

  /** Number of sleeps waiting for time to pass. */
  get pendingSleeps(): number {
    return this.sleepers.size;
  }

  /** Moves time forward by `ms`, waking every sleeper whose deadline is reached (in order). */
  async advance(ms: number): Promise<void> {
    await this.set(this.current + ms);
  }

  /** Moves time to `target` (never backwards for sleepers; `now()` follows `target`). */
  async set(target: number): Promise<void> {
    await flushMicrotasks();
    for (;;) {
      const due = [...this.sleepers].filter((s) => s.deadline <= target).sort((a, b) => a.deadline - b.deadline || a.seq - b.seq)[0];
      if (!due) break;
      this.sleepers.delete(due);
      this.current = Math.max(this.current, due.deadline);
      due.resolve();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /** Advances in `stepMs` steps until `done()` holds or `maxMs` have passed. */
  async advanceUntil(done: () => boolean, stepMs = 10, maxMs = 60_000): Promise<void> {
    const limit = this.current + maxMs;
    while (!done() && this.current < limit) await this.advance(stepMs);
  }
}
