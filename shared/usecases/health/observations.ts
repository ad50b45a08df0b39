/**
 * Readers of health state for the scheduler's verdict: the latest view per (observer, target) and the
 * clouds' heartbeats. TTL is applied here, by the reader, on the time of the newest sample (stores keep
 * expired items; emulators never expire them).
 */
import { parseHeartbeat, heartbeatAgeMs, type Heartbeat } from '../../core/health/heartbeat';
import { HEARTBEAT_PREFIX, observationPrefix } from '../../core/health/keys';
import {
  isFresh,
  latestObservation,
  parseObservationRecord,
  type Observation,
  type ObservationRecord,
} from '../../core/health/observation';
import type { StateStore } from '../../ports/state-store';

export interface Freshness {
  readonly nowMs: number;
  /** Records whose newest sample is older than this are left out. */
  readonly ttlMs: number;
}

export interface ObservationView extends ObservationRecord {
  readonly key: string;
  /** Store version (encoded HLC) of the record. */
  readonly version: string;
  readonly latest: Observation;
}

/**
 * Latest view per (observer, target), ascending by key (grouped by target). With `target`, only that
 * target's records; with `freshness`, records older than the TTL are left out. Malformed records (another
 * release's layout, corruption) are skipped. Errors: those of `StateStore.list`.
 */
export async function readObservations(store: StateStore, target?: string, freshness?: Freshness): Promise<ObservationView[]> {
  const entries = await store.list(observationPrefix(target));
  const views: ObservationView[] = [];
  for (const entry of entries) {
    const record = parseObservationRecord(entry.value);
    if (record === undefined || (target !== undefined && record.target !== target)) continue;
    if (freshness !== undefined && !isFresh(record, freshness.nowMs, freshness.ttlMs)) continue;
    const latest = latestObservation(record);
    if (latest === undefined) continue;
    views.push({ ...record, key: entry.key, version: entry.version, latest });
  }
  return views;
}

export interface HeartbeatView extends Heartbeat {
  readonly ageMs: number;
  /** False when older than the TTL: the cloud's timer function has stopped or cannot write. */
  readonly fresh: boolean;
  readonly version: string;
}

/** Every cloud's heartbeat with its age. Malformed records are skipped. Errors: those of `StateStore.list`. */
export async function readHeartbeats(store: StateStore, freshness: Freshness): Promise<HeartbeatView[]> {
  const entries = await store.list(HEARTBEAT_PREFIX);
  const views: HeartbeatView[] = [];
  for (const entry of entries) {
    const hb = parseHeartbeat(entry.value);
    if (hb === undefined) continue;
    const ageMs = heartbeatAgeMs(hb, freshness.nowMs);
    views.push({ ...hb, ageMs, fresh: ageMs <= freshness.ttlMs, version: entry.version });
  }
  return views;
}
