/**
 * Observations: what one observer cloud saw when it probed one target. Pure.
 *
 * Storage is one record per (target, observer), rewritten after each probe: the last N samples plus a
 * rolling summary. So each sub-tick costs one write per target, and the number of stored records never
 * grows with time. Records expire by reader-side TTL (`updatedAt`), as stores do not expire items.
 */
import { isJsonObject as isObject, type JsonValue } from './json';

/** One probe result as stored. `status` is the HTTP status, or null when no response arrived. */
export interface ProbeSample {
  readonly at: number;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly status: number | null;
  readonly error?: string;
}

/** The brief's observation shape: one sample with its observer and target. */
export interface Observation extends ProbeSample {
  readonly observer: string;
  readonly target: string;
}

export interface ObservationSummary {
  /** Probes recorded since the record was created. */
  readonly count: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** Exponentially weighted latency of successful probes; null until one succeeded. */
  readonly ewmaLatencyMs: number | null;
  readonly lastOkAt: number | null;
  readonly lastFailAt: number | null;
}

export interface ObservationRecord {
  readonly observer: string;
  readonly target: string;
  /** Incremented by every write; lets readers tell records apart without comparing samples. */
  readonly seq: number;
  /** Time of the newest sample; readers apply the TTL to it. */
  readonly updatedAt: number;
  /** Newest first, at most `observationsKept`. */
  readonly recent: readonly ProbeSample[];
  readonly summary: ObservationSummary;
}

/** Weight of the newest latency in the moving average. */
export const EWMA_ALPHA = 0.3;

const EMPTY_SUMMARY: ObservationSummary = {
  count: 0,
  failures: 0,
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  ewmaLatencyMs: null,
  lastOkAt: null,
  lastFailAt: null,
};

const roundMs = (ms: number): number => Math.round(ms * 10) / 10;

const maxOrNull = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

/** Adds one sample to a record (or starts one), keeping the newest `kept` samples. */
export function foldObservation(
  prev: ObservationRecord | undefined,
  observer: string,
  target: string,
  sample: ProbeSample,
  kept: number,
): ObservationRecord {
  const s = prev?.summary ?? EMPTY_SUMMARY;
  const latencyMs = roundMs(Math.max(0, sample.latencyMs));
  const clean: ProbeSample = {
    at: sample.at,
    ok: sample.ok,
    latencyMs,
    status: sample.status,
    ...(sample.error !== undefined && !sample.ok ? { error: sample.error } : {}),
  };
  const recent = [clean, ...(prev?.recent ?? [])].sort((a, b) => b.at - a.at).slice(0, Math.max(1, kept));
  const summary: ObservationSummary = {
    count: s.count + 1,
    failures: s.failures + (clean.ok ? 0 : 1),
    consecutiveFailures: clean.ok ? 0 : s.consecutiveFailures + 1,
    consecutiveSuccesses: clean.ok ? s.consecutiveSuccesses + 1 : 0,
    ewmaLatencyMs: clean.ok
      ? roundMs(s.ewmaLatencyMs === null ? latencyMs : s.ewmaLatencyMs + EWMA_ALPHA * (latencyMs - s.ewmaLatencyMs))
      : s.ewmaLatencyMs,
    lastOkAt: clean.ok ? maxOrNull(s.lastOkAt, clean.at) : s.lastOkAt,
    lastFailAt: clean.ok ? s.lastFailAt : maxOrNull(s.lastFailAt, clean.at),
  };
  return {
    observer,
    target,
    seq: (prev?.seq ?? 0) + 1,
    updatedAt: Math.max(prev?.updatedAt ?? clean.at, clean.at),
    recent,
    summary,
  };
}

/**
 * Start of the current run of failures: the oldest failed sample in a row among those kept (a later bound when
 * the run is longer than the samples kept); `null` when the newest probe succeeded.
 */
export function failingSince(record: ObservationRecord): number | null {
  let since: number | null = null;
  for (const sample of record.recent) {
    if (sample.ok) break;
    since = sample.at;
  }
  return since;
}

/** The newest sample with its observer and target. */
export function latestObservation(record: ObservationRecord): Observation | undefined {
  const last = record.recent[0];
  return last === undefined ? undefined : { observer: record.observer, target: record.target, ...last };
}

/** Reader-side TTL: a record whose newest sample is older than `ttlMs` is treated as absent. */
export const isFresh = (record: { readonly updatedAt: number }, nowMs: number, ttlMs: number): boolean =>
  nowMs - record.updatedAt <= ttlMs;

const sampleToJson = (s: ProbeSample): JsonValue => ({
  at: s.at,
  ok: s.ok,
  latencyMs: s.latencyMs,
  status: s.status,
  ...(s.error === undefined ? {} : { error: s.error }),
});

/** Stored form (version field `v` lets later releases change the layout). */
export function observationToJson(r: ObservationRecord): JsonValue {
  return {
    v: 1,
    observer: r.observer,
    target: r.target,
    seq: r.seq,
    updatedAt: r.updatedAt,
    recent: r.recent.map(sampleToJson),
    summary: { ...r.summary },
  };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): v is number | null => v === null || isNum(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function parseSample(v: unknown): ProbeSample | undefined {
  if (!isObject(v) || !isNum(v.at) || typeof v.ok !== 'boolean' || !isNum(v.latencyMs) || !isNumOrNull(v.status)) return undefined;
  if (v.error !== undefined && typeof v.error !== 'string') return undefined;
  return {
    at: v.at,
    ok: v.ok,
    latencyMs: v.latencyMs,
    status: v.status,
    ...(typeof v.error === 'string' ? { error: v.error } : {}),
  };
}

/** Parses a stored record; anything malformed (other writer, other version, corruption) yields undefined. */
export function parseObservationRecord(value: unknown): ObservationRecord | undefined {
  if (!isObject(value) || value.v !== 1 || !isStr(value.observer) || !isStr(value.target)) return undefined;
  if (!isNum(value.seq) || !isNum(value.updatedAt) || !Array.isArray(value.recent) || !isObject(value.summary)) return undefined;
  const recent: ProbeSample[] = [];
  for (const item of value.recent) {
    const sample = parseSample(item);
    if (sample === undefined) return undefined;
    recent.push(sample);
  }
  const s = value.summary;
  if (!isNum(s.count) || !isNum(s.failures) || !isNum(s.consecutiveFailures) || !isNum(s.consecutiveSuccesses)) return undefined;
  if (!isNumOrNull(s.ewmaLatencyMs) || !isNumOrNull(s.lastOkAt) || !isNumOrNull(s.lastFailAt)) return undefined;
  return {
    observer: value.observer,
    target: value.target,
    seq: value.seq,
    updatedAt: value.updatedAt,
    recent,
    summary: {
      count: s.count,
      failures: s.failures,
      consecutiveFailures: s.consecutiveFailures,
      consecutiveSuccesses: s.consecutiveSuccesses,
      ewmaLatencyMs: s.ewmaLatencyMs,
      lastOkAt: s.lastOkAt,
      lastFailAt: s.lastFailAt,
    },
  };
}
