import type { MeshgateError } from './errors';

/**
 * Result of a call to a third party that is expected to fail transiently (DNS apply, notifiers).
 * Expected remote failures are classified, not thrown; a retry decision reads only `status`.
 */
export type Outcome<T = void> =
  | { readonly status: 'success'; readonly value: T }
  | { readonly status: 'failure'; readonly error: MeshgateError }
  | { readonly status: 'retryable'; readonly error: MeshgateError; readonly retryInMs?: number };

export const success = <T>(value: T): Outcome<T> => ({ status: 'success', value });
