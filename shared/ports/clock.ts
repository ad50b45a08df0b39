/** Time source. Injected everywhere so tests and the core stay deterministic. */
export interface Clock {
  /** Wall-clock time, epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` milliseconds (or when `signal` aborts, rejecting). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
