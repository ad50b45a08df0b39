/** Time bounds on store calls and waits, measured with the injected clock. */
import { MeshgateError } from '../../core/errors';
import type { Clock } from '../../ports/clock';

/**
 * Settles with `work`, or rejects with `timeout` after `ms`. The work itself is not cancelled (the
 * StateStore port takes no signal); its late result or error is swallowed.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  const timer = new AbortController();
  work.catch(() => undefined);
  const expired = clock.sleep(ms, timer.signal).then(
    () => {
      throw new MeshgateError('timeout', `${what} took longer than ${ms} ms`);
    },
    () => undefined as never,
  );
  try {
    return await Promise.race([work, expired]);
  } finally {
    timer.abort();
  }
}

/** Waits until `at` (epoch ms on `clock`) or until `signal` aborts; never rejects. */
export async function sleepUntil(clock: Clock, at: number, signal?: AbortSignal): Promise<void> {
  const ms = at - clock.now();
  if (ms <= 0 || signal?.aborted) return;
  await clock.sleep(ms, signal).catch(() => undefined);
}

/** Resolves when every promise settled or at `at`, whichever comes first; never rejects. */
export async function settleBy(clock: Clock, promises: readonly Promise<unknown>[], at: number): Promise<void> {
  if (promises.length === 0) return;
  const timer = new AbortController();
  try {
    await Promise.race([Promise.allSettled(promises), sleepUntil(clock, at, timer.signal)]);
  } finally {
    timer.abort();
  }
}
