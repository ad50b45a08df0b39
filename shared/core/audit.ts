/**
 * The scheduler's audit log: one record per decision (lease acquired or lost, verdict transition, DNS plan,
 * applied batch and its outcome, fenced out, alert raised or resolved). Pure: key layout, record shape, parsing.
 *
 * Key: `audit/<yyyy-mm-dd>/<15-digit epoch ms>.<6-digit sequence>-<node>` (UTC day). Keys sort by time within a
 * day and days sort by date, so a plain prefix listing returns records in time order; the node suffix keeps two
 * nodes writing in the same millisecond apart, the per-process sequence two records of one node.
 */
import { keySegment } from './health/keys';
import { isJsonObject, type JsonValue } from './health/json';

export const AUDIT_PREFIX = 'audit/';

/** Audit records expire (reader-side TTL) after this long by default: 14 days. */
export const DEFAULT_AUDIT_TTL_MS = 14 * 24 * 60 * 60 * 1000;

export type AuditKind =
  /** This node became leader (`term`). */
  | 'lease.acquired'
  /** This node stayed leader under a new term (its own lease lapsed and was taken over again). */
  | 'lease.term'
  /** This node was leader and is not any more (another holder, a lapsed lease, a failed renewal). */
  | 'lease.lost'
  /** A target changed phase or ramp stage (`details.target/from/to/rampStage/reason/votes`). */
  | 'verdict.transition'
  /** A non-empty DNS change set was planned (`details.changes`). */
  | 'dns.plan'
  /** One apply attempt and its outcome (`details.outcome`: success | failure | retryable). */
  | 'dns.apply'
  /** The zone (or the stored verdict) carries a newer term: this node stopped acting. */
  | 'dns.fenced-out'
  /** An alert outbox item was written (`details.action`: trigger | resolve). */
  | 'alert';

export const AUDIT_KINDS: readonly AuditKind[] = Object.freeze([
  'lease.acquired',
  'lease.term',
  'lease.lost',
  'verdict.transition',
  'dns.plan',
  'dns.apply',
  'dns.fenced-out',
  'alert',
] as const);

export interface AuditRecord {
  /** Epoch ms of the decision. */
  readonly at: number;
  /** Node id of the scheduler instance that decided. */
  readonly node: string;
  readonly kind: AuditKind;
  /** Lease term the node held (or lost) when it decided; null when it held none. */
  readonly term: number | null;
  /** Human-readable one-liner. */
  readonly summary: string;
  /** Kind-specific, JSON-safe, secret-free. */
  readonly details: { readonly [key: string]: JsonValue };
}

const pad = (n: number, digits: number): string => String(Math.max(0, Math.floor(n))).padStart(digits, '0');

/** UTC day `yyyy-mm-dd` of an epoch ms. */
export const auditDay = (at: number): string => new Date(at).toISOString().slice(0, 10);

/** Prefix of one UTC day's records. */
export const auditDayPrefix = (day: string): string => `${AUDIT_PREFIX}${day}/`;

/** Key of one record; `seq` disambiguates records of one node within a millisecond (wraps at 10^6). */
export const auditKey = (at: number, seq: number, node: string): string =>
  `${auditDayPrefix(auditDay(at))}${pad(at, 15)}.${pad(seq % 1_000_000, 6)}-${keySegment(node)}`;

/** The epoch ms encoded in an audit key, or undefined when the key isn't one. */
export function auditKeyTime(key: string): number | undefined {
  const match = /^audit\/\d{4}-\d{2}-\d{2}\/(\d{15})\.\d{6}-/.exec(key);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Day prefixes from `since`'s UTC day to `until`'s, ascending (empty when `until < since`; at most `maxDays`). */
export function auditDayPrefixes(since: number, until: number, maxDays = 366): string[] {
  const prefixes: string[] = [];
  const start = Date.parse(`${auditDay(since)}T00:00:00.000Z`);
  for (let day = start; day <= until && prefixes.length < maxDays; day += DAY_MS) prefixes.push(auditDayPrefix(auditDay(day)));
  return prefixes;
}

export function auditToJson(record: AuditRecord): JsonValue {
  return { v: 1, at: record.at, node: record.node, kind: record.kind, term: record.term, summary: record.summary, details: { ...record.details } };
}

/** Parses a stored record; anything malformed (another layout, corruption) yields undefined. */
export function parseAuditRecord(value: unknown): AuditRecord | undefined {
  if (!isJsonObject(value) || value.v !== 1) return undefined;
  const { at, node, kind, term, summary, details } = value;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof node !== 'string' || node === '') return undefined;
  if (typeof kind !== 'string' || !(AUDIT_KINDS as readonly string[]).includes(kind)) return undefined;
  if (term !== null && (typeof term !== 'number' || !Number.isInteger(term))) return undefined;
  if (typeof summary !== 'string' || !isJsonObject(details)) return undefined;
  return { at, node, kind: kind as AuditKind, term, summary, details: details as { [key: string]: JsonValue } };
}
