/** An alert destination: Slack incoming webhook, PagerDuty Events v2. */
import type { Outcome } from '../core/outcome';

export type Severity = 'critical' | 'error' | 'warning' | 'info';

export interface Incident {
  /** Stable key: one incident, one page; the same key later resolves it. */
  readonly dedupKey: string;
  readonly action: 'trigger' | 'resolve';
  readonly summary: string;
  readonly source: string;
  readonly severity: Severity;
  /** Epoch ms of the event. */
  readonly at: number;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface Notifier {
  readonly name: string;
  /**
   * Delivers one incident event. Never throws for remote failures: 2xx → `success`; 429/5xx/network →
   * `retryable` (with Retry-After as `retryInMs`); other 4xx → `failure`. Idempotent per
   * `(dedupKey, action)` on the receiving side where the service supports it (PagerDuty does).
   */
  notify(incident: Incident): Promise<Outcome>;
}
