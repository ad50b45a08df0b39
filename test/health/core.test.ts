import fc from 'fast-check';
import { MeshgateError } from '../../shared/core/errors';
import { PROBE_BUDGET_PER_TARGET_PER_MINUTE, probeBudget, probesPerMinutePerObserver } from '../../shared/core/health/budget';
import { keySegment, observationKey, heartbeatKey } from '../../shared/core/health/keys';
import { failingSince, foldObservation, isFresh, observationToJson, parseObservationRecord, type ObservationRecord } from '../../shared/core/health/observation';
import { jitterWindowMs, planProbes, planSubTicks } from '../../shared/core/health/schedule';
import { DEFAULT_HEALTH_SETTINGS, resolveHealthConfig } from '../../shared/core/health/settings';
import { assertDeadline, parseTickPayload } from '../../shared/core/health/tick-payload';
import { seededRandom } from './support/fakes';

describe('probe budget', () => {
  it('meets <= 36 probes per minute per target at the defaults (3 observers x 12)', () => {
    const backend = probeBudget(DEFAULT_HEALTH_SETTINGS, 3);
    expect(backend.perObserverPerMinute).toBe(12);
    expect(backend.perTargetPerMinute).toBe(36);
    expect(backend.perTargetPerMinute).toBeLessThanOrEqual(PROBE_BUDGET_PER_TARGET_PER_MINUTE);
    expect(backend.withinBudget).toBe(true);
    // A peer cloud's /health is probed by the two other clouds only.
    expect(probeBudget(DEFAULT_HEALTH_SETTINGS, 2).perTargetPerMinute).toBe(24);
  });

  it('flags settings that exceed it', () => {
    expect(probeBudget({ probeIntervalSeconds: 1 }, 3)).toMatchObject({ perTargetPerMinute: 180, withinBudget: false });
    expect(probesPerMinutePerObserver(7)).toBe(9);
    expect(probesPerMinutePerObserver(0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('planSubTicks', () => {
  const base = { startAt: 0, intervalMs: 5000, scheduleMs: 60_000, deadlineMarginMs: 1000, probeTimeoutMs: 2000 };

  it('runs 12 sub-ticks in a one-minute invocation (AWS/GCP schedule)', () => {
    const ticks = planSubTicks({ ...base, deadlineAt: 60_000 });
    expect(ticks.map((t) => t.at)).toEqual([0, 5000, 10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000, 45_000, 50_000, 55_000]);
    expect(ticks.at(-1)?.endAt).toBe(59_000);
    expect(planSubTicks({ ...base, deadlineAt: 900_000 })).toHaveLength(12); // schedule period bounds a long deadline
  });

  it('runs one sub-tick per invocation on a 5 s schedule (Azure NCRONTAB)', () => {
    expect(planSubTicks({ ...base, scheduleMs: 5000, deadlineAt: 300_000 })).toEqual([{ at: 0, endAt: 5000 }]);
  });

  it('stops before the deadline, and plans nothing when no probe fits', () => {
    const ticks = planSubTicks({ ...base, deadlineAt: 20_000 });
    for (const t of ticks) expect(t.at + base.probeTimeoutMs).toBeLessThanOrEqual(19_000);
    expect(ticks).toHaveLength(4);
    expect(planSubTicks({ ...base, deadlineAt: 2500 })).toEqual([]);
  });
});

describe('planProbes', () => {
  const tick = { at: 1000, endAt: 6000 };
  const targets = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, failing: false }));
  const plan = (random: () => number, inFlight: string[] = [], t = targets) =>
    planProbes({ tick, targets: t, inFlight: new Set(inFlight), intervalMs: 5000, probeTimeoutMs: 2000, random });

  it('spreads probes over the first half of the interval, deterministically for a seed', () => {
    const p1 = plan(seededRandom(7));
    expect(p1).toEqual(plan(seededRandom(7)));
    expect(p1.probes).toHaveLength(5);
    for (const p of p1.probes) {
      expect(p.startAt).toBeGreaterThanOrEqual(1000);
      expect(p.startAt).toBeLessThan(1000 + 2500);
      expect(p.startAt + p.timeoutMs).toBeLessThanOrEqual(tick.endAt);
    }
    expect(new Set(p1.probes.map((p) => p.startAt)).size).toBeGreaterThan(1);
    expect(plan(seededRandom(8))).not.toEqual(p1);
  });

  it('skips targets still in flight (single-flight) and duplicates', () => {
    const p = plan(seededRandom(1), ['b', 'd'], [...targets, { id: 'a', failing: false }]);
    expect(p.skippedInFlight).toEqual(['b', 'd']);
    expect(p.probes.map((x) => x.targetId).sort()).toEqual(['a', 'c', 'e']);
  });

  it('schedules failing targets after healthy ones (second half of the jitter window)', () => {
    const p = plan(seededRandom(3), [], targets.map((t) => ({ ...t, failing: t.id === 'a' || t.id === 'b' })));
    const window = jitterWindowMs(tick, 5000, 2000);
    for (const x of p.probes) {
      if (x.targetId === 'a' || x.targetId === 'b') expect(x.startAt - tick.at).toBeGreaterThanOrEqual(window / 2);
    }
  });

  it('keeps jitter inside the window for any random source, even a broken one', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: false }), { minLength: 1, maxLength: 20 }), (values) => {
        let i = 0;
        const p = plan(() => values[i++ % values.length] ?? 0);
        return p.probes.every((x) => x.startAt >= tick.at && x.startAt < tick.at + 2500 && x.timeoutMs === 2000);
      }),
    );
  });
});

describe('observations fold', () => {
  it('keeps at most N samples and a consistent rolling summary', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.array(fc.boolean(), { maxLength: 60 }), (kept, oks) => {
        let record: ObservationRecord | undefined;
        oks.forEach((ok, i) => {
          record = foldObservation(record, 'aws', 'backend:x', { at: i * 5000, ok, latencyMs: 10 + i, status: ok ? 200 : 503, ...(ok ? {} : { error: 'http_status' }) }, kept);
        });
        if (record === undefined) return oks.length === 0;
        let trailing = 0;
        for (let i = oks.length - 1; i >= 0 && oks[i] === oks[oks.length - 1]; i -= 1) trailing += 1;
        const last = oks[oks.length - 1]!;
        return (
          record.recent.length === Math.min(kept, oks.length) &&
          record.summary.count === oks.length &&
          record.summary.failures === oks.filter((x) => !x).length &&
          record.summary.consecutiveFailures === (last ? 0 : trailing) &&
          record.summary.consecutiveSuccesses === (last ? trailing : 0) &&
          record.recent[0]?.at === (oks.length - 1) * 5000 &&
          parseObservationRecord(JSON.parse(JSON.stringify(observationToJson(record)))) !== undefined
        );
      }),
    );
  });

  it('averages latency of successes only and tracks last ok/fail times', () => {
    let r = foldObservation(undefined, 'aws', 't', { at: 1, ok: true, latencyMs: 100, status: 200 }, 5);
    r = foldObservation(r, 'aws', 't', { at: 2, ok: false, latencyMs: 2000, status: null, error: 'timeout' }, 5);
    r = foldObservation(r, 'aws', 't', { at: 3, ok: true, latencyMs: 200, status: 200 }, 5);
    expect(r.summary).toEqual({ count: 3, failures: 1, consecutiveFailures: 0, consecutiveSuccesses: 1, ewmaLatencyMs: 130, lastOkAt: 3, lastFailAt: 2 });
    expect(isFresh(r, 3 + 30_000, 30_000)).toBe(true);
    expect(isFresh(r, 3 + 30_001, 30_000)).toBe(false);
  });

  it('dates the current run of failures from its first failed sample, and has none after a success', () => {
    let r = foldObservation(undefined, 'aws', 't', { at: 1, ok: true, latencyMs: 1, status: 200 }, 3);
    expect(failingSince(r)).toBeNull();
    r = foldObservation(r, 'aws', 't', { at: 2, ok: false, latencyMs: 2000, status: null, error: 'timeout' }, 3);
    r = foldObservation(r, 'aws', 't', { at: 3, ok: false, latencyMs: 2000, status: null, error: 'timeout' }, 3);
    expect(failingSince(r)).toBe(2);
    r = foldObservation(r, 'aws', 't', { at: 4, ok: false, latencyMs: 2000, status: null, error: 'timeout' }, 3);
    r = foldObservation(r, 'aws', 't', { at: 5, ok: false, latencyMs: 2000, status: null, error: 'timeout' }, 3);
    expect(failingSince(r)).toBe(3); // a longer run than the samples kept: the oldest kept failure
    r = foldObservation(r, 'aws', 't', { at: 6, ok: true, latencyMs: 1, status: 200 }, 3);
    expect(failingSince(r)).toBeNull();
  });

  it('rejects malformed stored records', () => {
    expect(parseObservationRecord({ v: 2 })).toBeUndefined();
    expect(parseObservationRecord('garbage')).toBeUndefined();
    const good = observationToJson(foldObservation(undefined, 'aws', 't', { at: 1, ok: true, latencyMs: 1, status: 200 }, 3)) as Record<string, unknown>;
    expect(parseObservationRecord({ ...good, recent: [{ at: 'x' }] })).toBeUndefined();
  });
});

describe('keys', () => {
  it('escapes segments so ids never split or collide', () => {
    expect(heartbeatKey('aws')).toBe('heartbeat/aws');
    expect(observationKey('backend:eu-1', 'gcp')).toBe('observation/backend:eu-1/gcp');
    expect(keySegment('a/b')).not.toContain('/');
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => a === b || keySegment(a) !== keySegment(b)));
  });
});

describe('tick payload', () => {
  it('accepts nothing, platform envelopes and meshgate fields', () => {
    expect(parseTickPayload(undefined)).toEqual({ isPastDue: false });
    expect(parseTickPayload(null)).toEqual({ isPastDue: false });
    expect(parseTickPayload({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toEqual({ isPastDue: false });
    expect(parseTickPayload({ isPastDue: true, scheduleStatus: { last: '2026-01-01T00:00:00Z' } })).toEqual({ isPastDue: true });
    expect(parseTickPayload({ scheduleSeconds: 5 })).toEqual({ scheduleSeconds: 5, isPastDue: false });
  });

  it.each([['text'], [42], [[1, 2]], [true], [{ scheduleSeconds: 0 }], [{ scheduleSeconds: 1.5 }], [{ scheduleSeconds: '60' }], [{ isPastDue: 'yes' }]])(
    'rejects %j with a validation error',
    (payload) => {
      expect(() => parseTickPayload(payload)).toThrow(expect.objectContaining({ code: 'validation' }) as MeshgateError);
    },
  );

  it('requires a deadline in the future', () => {
    expect(assertDeadline(2000, 1000)).toBe(2000);
    for (const bad of [1000, 999, Number.NaN, Number.POSITIVE_INFINITY, '2000']) {
      expect(() => assertDeadline(bad, 1000)).toThrow(MeshgateError);
    }
  });
});

describe('settings', () => {
  it('resolves defaults and names the offending field', () => {
    const cfg = resolveHealthConfig(DEFAULT_HEALTH_SETTINGS);
    expect(cfg).toMatchObject({ intervalMs: 5000, scheduleMs: 60_000, storeTimeoutMs: 1000, ttlMs: 30_000 });
    expect(() => resolveHealthConfig({ ...DEFAULT_HEALTH_SETTINGS, probeTimeoutMs: 5000 })).toThrow(/health\.probeTimeoutMs/);
    expect(() => resolveHealthConfig({ ...DEFAULT_HEALTH_SETTINGS, observationsKept: 0 })).toThrow(/health\.observationsKept/);
  });
});
