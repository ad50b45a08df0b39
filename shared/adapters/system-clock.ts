/** The real clock: wall time from `Date.now()`, sleeps on timers. */
import type { Clock } from '../ports/clock';

/** Reason a sleep rejects with when its signal aborts (a DOMException named `AbortError`, as fetch uses). */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('sleep aborted', 'AbortError');
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  /** Resolves after `ms` (clamped to ≥ 0); rejects with the signal's reason as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortReason(signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** One shared instance is enough: the clock has no state. */
export const systemClock: Clock = new SystemClock();
