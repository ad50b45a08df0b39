/**
 * Writing and reading the scheduler's audit log (layout in shared/core/audit.ts). Writes are best effort: a
 * decision is never held back because its audit record could not be written; the failure is logged instead.
 */
import {
  AUDIT_PREFIX,
  DEFAULT_AUDIT_TTL_MS,
  auditDayPrefixes,
  auditKey,
  auditKeyTime,
  auditToJson,
  parseAuditRecord,
  type AuditKind,
  type AuditRecord,
} from '../../core/audit';
import { asMeshgateError } from '../../core/errors';
import type { JsonValue } from '../../ports/key-value-store';
import type { Logger } from '../../ports/logger';
import type { StateStore } from '../../ports/state-store';

export type { AuditKind, AuditRecord } from '../../core/audit';

export interface AuditEvent {
  readonly kind: AuditKind;
  readonly term: number | null;
  readonly summary: string;
  readonly details?: { readonly [key: string]: JsonValue };
}

/** Per-process writer: keeps the sequence that makes keys unique within a millisecond. */
export class AuditLog {
  private seq = 0;

  constructor(
    private readonly store: StateStore,
    private readonly node: string,
    private readonly logger: Logger,
    private readonly ttlMs: number = DEFAULT_AUDIT_TTL_MS,
  ) {}

  /**
   * Writes one record at `at`, with the TTL. Never throws: a failed write is logged (`scheduler.audit_failed`)
   * and reported as `false`. `bound` lets the caller cap the time spent on the write.
   */
  async append(at: number, event: AuditEvent, bound?: <T>(work: Promise<T>, what: string) => Promise<T>): Promise<boolean> {
    this.seq += 1;
    const record: AuditRecord = { at, node: this.node, kind: event.kind, term: event.term, summary: event.summary, details: event.details ?? {} };
    const key = auditKey(at, this.seq, this.node);
    try {
      const write = this.store.put(key, auditToJson(record), { ttlMs: this.ttlMs });
      await (bound ? bound(write, 'audit write') : write);
      return true;
    } catch (err) {
      this.logger.warn({ event: 'scheduler.audit_failed', kind: event.kind, code: asMeshgateError(err).code }, 'scheduler: audit write failed');
      return false;
    }
  }
}

export interface ReadAuditOptions {
  /** Only records at or after this epoch ms. */
  readonly since?: number;
  /** Most records returned. With `since`: the oldest `limit` from it; without: the newest `limit`. */
  readonly limit?: number;
  /**
   * Current time. With `since`, only the UTC days from `since` to `now` are listed (one listing per day)
   * instead of the whole log.
   */
  readonly now?: number;
}

/**
 * Audit records in time order (oldest first). Expired records are absent (the store applies the TTL on read);
 * malformed records are skipped. Errors: those of `StateStore.list`.
 */
export async function readAudit(store: StateStore, options: ReadAuditOptions = {}): Promise<AuditRecord[]> {
  const { since, limit, now } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) return [];
  const prefixes = since !== undefined && now !== undefined ? auditDayPrefixes(since, now) : [AUDIT_PREFIX];
  const out: AuditRecord[] = [];
  for (const prefix of prefixes) {
    for (const entry of await store.list(prefix)) {
      const at = auditKeyTime(entry.key);
      if (since !== undefined && at !== undefined && at < since) continue;
      const record = parseAuditRecord(entry.value);
      if (record === undefined || (since !== undefined && record.at < since)) continue;
      out.push(record);
      if (since !== undefined && limit !== undefined && out.length >= limit) return out;
    }
  }
  return limit === undefined ? out : out.slice(Math.max(0, out.length - limit));
}
