/**
 * The alert outbox: durable items under `alert/outbox/<id>` that the alerts feature delivers later (Slack,
 * PagerDuty) and removes once delivered. The scheduler only writes them; one item per trigger and one per
 * resolve, so delivery can group by `dedupKey` (one incident, one page).
 */
import { MeshgateError, hasCode } from '../../core/errors';
import { keySegment } from '../../core/health/keys';
import type { StateStore } from '../../ports/state-store';

export const ALERT_OUTBOX_PREFIX = 'alert/outbox/';

export type AlertAction = 'trigger' | 'resolve';
export type AlertSeverity = 'critical' | 'error' | 'warning' | 'info';

export interface AlertItem {
  /** Groups the trigger and its resolve into one incident (PagerDuty `dedup_key`). */
  readonly dedupKey: string;
  readonly action: AlertAction;
  readonly summary: string;
  readonly severity: AlertSeverity;
  /** Epoch ms of the decision. */
  readonly at: number;
  /** Who raised it (PagerDuty `payload.source`): the scheduler node id. */
  readonly source: string;
}

/** `alert/outbox/<15-digit ms>-<dedupKey>-<action>`: time-ordered, and the same decision always maps to one key. */
export const alertOutboxKey = (item: Pick<AlertItem, 'at' | 'dedupKey' | 'action'>): string =>
  `${ALERT_OUTBOX_PREFIX}${String(Math.max(0, Math.floor(item.at))).padStart(15, '0')}-${keySegment(item.dedupKey)}-${item.action}`;

/** Dedup key of the "every target looks down" incident for one DNS record. */
export const allDownDedupKey = (recordName: string): string => `meshgate:all-targets-down:${recordName}`;

/**
 * Writes one outbox item, create-only (`expectedVersion: null`): writing the same decision twice keeps the first
 * item and still resolves. Returns the key. Errors: those of `StateStore.put` other than `conflict`.
 */
export async function writeAlert(store: StateStore, item: AlertItem): Promise<string> {
  if (item.dedupKey === '' || item.summary === '') throw new MeshgateError('validation', 'alert: dedupKey and summary are required');
  const key = alertOutboxKey(item);
  try {
    await store.put(key, { ...item }, { expectedVersion: null });
  } catch (err) {
    if (!hasCode(err, 'conflict')) throw err;
  }
  return key;
}
