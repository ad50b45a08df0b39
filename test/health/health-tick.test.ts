import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { heartbeatKey, observationPrefix } from '../../shared/core/health/keys';
import { parseObservationRecord } from '../../shared/core/health/observation';
import {
  createHealthService,
  createHealthTickState,
  readHeartbeats,
  readObservations,
  runHealthTick,
  type BackendEndpoint,
  type HealthTickState,
} from '../../shared/usecases/health';
import { CapturingLogger, FakeProbeClient, type Behaviour } from './support/fakes';
import { BACKENDS, depsFor, request } from './support/mesh';
import { VirtualClock } from './support/virtual-clock';
import type { ProbeTarget } from '../../shared/ports/probe';

const MINUTE = 60_000;

function setup(options: { behaviour?: (t: ProbeTarget, callIndex: number) => Behaviour; backends?: BackendEndpoint[]; settings?: Parameters<typeof depsFor>[1]['settings'] } = {}) {
  const clock = new VirtualClock();
  const store = new MemoryStateStore({ now: () => clock.now() });
  const probes = new FakeProbeClient(clock, options.behaviour);
  const logger = new CapturingLogger();
  const deps = depsFor('aws', { clock, store, probes, logger, ...(options.backends ? { backends: options.backends } : {}), ...(options.settings ? { settings: options.settings } : {}) });
  const state: HealthTickState = createHealthTickState(deps.settings.probeConcurrency);
  const tick = (payload: unknown = {}, ms = MINUTE) => runHealthTick({ ...deps, state }, payload, clock.now() + ms);
  return { clock, store, probes, logger, deps, state, tick };
}

describe('runHealthTick', () => {
  it('writes the heartbeat and probes every peer but itself and every backend, 12 sub-ticks a minute', async () => {
    const { clock, store, probes, tick, deps } = setup();
    const started = clock.now();
    const report = await tick({ source: 'aws.events', 'detail-type': 'Scheduled Event' });

    expect(report).toMatchObject({ subTicks: 12, probes: 48, ok: 48, failed: 0, skippedInFlight: 0, skippedLate: 0, heartbeatWrites: 12, heartbeatFailures: 0, observationWrites: 48 });
    expect(clock.now() - started).toBeLessThanOrEqual(MINUTE - 1000);
    const ids = [...new Set(probes.calls.map((c) => `${c.target.id} ${c.target.protocol} ${c.target.url}`))].sort();
    expect(ids).toEqual([
      'backend:mcp-eu mcp https://mcp-eu.example.test/mcp',
      'backend:mcp-us mcp https://mcp-us.example.test/mcp',
      'cloud:azure meshgate-health https://azure.example.test/api/health',
      'cloud:gcp meshgate-health https://gcp.example.test/health',
    ]);
    for (const c of probes.calls) expect(c.options.timeoutMs).toBe(2000);

    const hb = await store.get(heartbeatKey('aws'));
    expect(hb?.value).toMatchObject({ cloud: 'aws', region: 'aws-region-1', nodeId: 'aws-node-1', buildVersion: '1.2.3' });
    expect(hb?.expiresAt).toBeDefined();
    const health = await createHealthService(deps).http(request('GET', '/health'));
    expect(health.status).toBe(200);

    const views = await readObservations(store, 'backend:mcp-eu');
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ observer: 'aws', target: 'backend:mcp-eu', latest: { observer: 'aws', target: 'backend:mcp-eu', ok: true, status: 200, latencyMs: 20 }, summary: { count: 12, consecutiveSuccesses: 12 } });
  });

  it('spreads each sub-tick over the first half of the interval', async () => {
    const { probes, tick, clock } = setup();
    const start = clock.now();
    await tick();
    for (const c of probes.calls) expect((c.startedAt - start) % 5000).toBeLessThan(2500);
    expect(new Set(probes.calls.map((c) => (c.startedAt - start) % 5000)).size).toBeGreaterThan(4);
  });

  it('never probes a target twice at once: a hanging target is skipped and counted (single-flight)', async () => {
    const { probes, tick, state } = setup({ behaviour: (t) => (t.id === 'backend:mcp-eu' ? { kind: 'hang' } : { kind: 'ok' }) });
    const first = await tick();
    expect(probes.callsFor('backend:mcp-eu')).toHaveLength(1);
    expect(probes.maxActivePerTarget).toBe(1);
    expect(first.skippedInFlight).toBe(11);
    expect(probes.callsFor('backend:mcp-us')).toHaveLength(12);
    expect(state.inFlight.has('backend:mcp-eu')).toBe(true);

    const second = await tick(); // warm instance, next minute: still in flight
    expect(probes.callsFor('backend:mcp-eu')).toHaveLength(1);
    expect(second.skippedInFlight).toBe(12);
    expect(probes.callsFor('backend:mcp-us')).toHaveLength(24);
  });

  it('aborts probes still running when the invocation ends, without recording them', async () => {
    const { probes, tick, store, state } = setup({ behaviour: (t) => (t.id === 'backend:mcp-eu' ? { kind: 'until-abort' } : { kind: 'ok' }) });
    const report = await tick({}, 20_000);
    expect(report).toMatchObject({ abandoned: 1, skippedInFlight: report.subTicks - 1 });
    expect(probes.callsFor('backend:mcp-eu')[0]?.options.signal?.aborted).toBe(true);
    expect(state.inFlight.size).toBe(0);
    expect(await readObservations(store, 'backend:mcp-eu')).toEqual([]);
  });

  it('bounds probes in flight by probeConcurrency', async () => {
    const backends = Array.from({ length: 20 }, (_, i) => ({ id: `b${i}`, url: `https://b${i}.example.test/mcp`, transport: 'mcp' as const }));
    const { probes, tick } = setup({ backends, settings: { probeConcurrency: 3 }, behaviour: () => ({ kind: 'ok', latencyMs: 300 }) });
    const report = await tick();
    expect(probes.maxActive).toBe(3);
    expect(report.probes + report.skippedLate).toBe(12 * 22);
    expect(report.probes).toBe(probes.calls.length);
    for (const c of probes.calls) expect(c.options.timeoutMs).toBeGreaterThanOrEqual(50);
  });

  it('stays within 36 probes per minute per backend across three observers (24 per peer)', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStateStore({ now: () => clock.now() });
    const probes = new FakeProbeClient(clock);
    const services = ['aws', 'azure', 'gcp'].map((cloud, i) => createHealthService(depsFor(cloud, { clock, store, probes, seed: i + 1 })));
    const deadline = clock.now() + MINUTE;
    await Promise.all(services.map((s) => s.tick({}, deadline)));
    for (const backend of BACKENDS) expect(probes.callsFor(`backend:${backend.id}`)).toHaveLength(36);
    for (const cloud of ['aws', 'azure', 'gcp']) expect(probes.callsFor(`cloud:${cloud}`)).toHaveLength(24);
    expect((await readObservations(store, 'backend:mcp-eu')).map((v) => v.observer)).toEqual(['aws', 'azure', 'gcp']);
    expect((await readObservations(store, 'cloud:aws')).map((v) => v.observer)).toEqual(['azure', 'gcp']);
    expect((await readHeartbeats(store, { nowMs: clock.now(), ttlMs: 30_000 })).map((h) => [h.cloud, h.fresh])).toEqual([['aws', true], ['azure', true], ['gcp', true]]);
  });

  it('keeps storage bounded: after 100 sub-ticks one record of at most N samples per observer/target', async () => {
    const { store, tick } = setup({ settings: { observationsKept: 5 }, behaviour: () => ({ kind: 'ok' }) });
    for (let i = 0; i < 100; i += 1) {
      const report = await tick({ scheduleSeconds: 5 }, 6000); // Azure-style: one sub-tick per invocation
      expect(report.subTicks).toBe(1);
    }
    for (const target of ['backend:mcp-eu', 'cloud:gcp']) {
      const keys = store.rawKeys(observationPrefix(target));
      expect(keys.length).toBeLessThanOrEqual(5 + 1);
      expect(keys).toEqual([`${observationPrefix(target)}aws`]);
      const record = parseObservationRecord((await store.get(keys[0]!))?.value);
      expect(record?.recent).toHaveLength(5);
      expect(record?.summary.count).toBe(100);
      expect(record?.seq).toBe(100);
    }
    expect(store.rawKeys('heartbeat/')).toEqual(['heartbeat/aws']);
    expect(store.rawKeys()).toHaveLength(1 + 4);
  });

  it('records failures, schedules failing targets late in the window, and with re-checks off never probes twice in an interval', async () => {
    const { probes, store, tick, clock } = setup({ behaviour: (t) => (t.id === 'cloud:gcp' ? { kind: 'timeout' } : { kind: 'ok' }), settings: { recheckAfterFailureMs: 0 } });
    const start = clock.now();
    const report = await tick();
    const gcp = probes.callsFor('cloud:gcp');
    expect(gcp).toHaveLength(12);
    expect(report).toMatchObject({ failed: 12, ok: 36 });
    for (const c of gcp.slice(1)) expect((c.startedAt - start) % 5000).toBeGreaterThanOrEqual(1250);
    const [view] = await readObservations(store, 'cloud:gcp');
    expect(view?.latest).toMatchObject({ ok: false, error: 'timeout', status: null, latencyMs: 2000 });
    expect(view?.summary).toMatchObject({ consecutiveFailures: 12, failures: 12, lastOkAt: null, ewmaLatencyMs: null });
  });

  it('re-checks a target 1 s after its first failure, inside the same interval, and only then', async () => {
    const { probes, store, tick, clock } = setup({ behaviour: (t) => (t.id === 'cloud:gcp' ? { kind: 'fail', error: 'connection', latencyMs: 1 } : { kind: 'ok' }) });
    const start = clock.now();
    const report = await tick();
    const gcp = probes.callsFor('cloud:gcp');
    // 12 sub-ticks plus one re-check, 1 s after the first failure ended, in the first interval.
    expect(gcp).toHaveLength(13);
    expect(gcp[1]!.startedAt - gcp[0]!.endedAt!).toBe(1000);
    expect(gcp[1]!.startedAt - start).toBeLessThan(5000);
    expect(report).toMatchObject({ failed: 13, ok: 36 });
    const [view] = await readObservations(store, 'cloud:gcp');
    expect(view?.summary).toMatchObject({ consecutiveFailures: 13 });
  });

  it('does not re-check when the rest of the interval leaves no room', async () => {
    // Fails on its first probe; a re-check 4.9 s later would not fit before the next sub-tick.
    const { probes, tick } = setup({ behaviour: (t, i) => (t.id === 'cloud:gcp' && i < 4 ? { kind: 'fail', error: 'connection', latencyMs: 1 } : { kind: 'ok' }), settings: { recheckAfterFailureMs: 4_900 } });
    await tick();
    const gcp = probes.callsFor('cloud:gcp');
    expect(gcp).toHaveLength(12);
  });

  it('keeps going when the store is down: failures are counted and logged once, never thrown', async () => {
    const { store, tick, logger, probes } = setup();
    store.setFault('unavailable');
    const report = await tick();
    expect(report).toMatchObject({ subTicks: 12, heartbeatWrites: 0, heartbeatFailures: 12, observationWrites: 0, observationWriteFailures: 48, probes: 48 });
    expect(probes.calls).toHaveLength(48);
    const warns = logger.lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => `${l.fields.operation}:${l.fields.code}`).sort()).toEqual(['heartbeat:unavailable', 'observation-read:unavailable', 'observation-write:unavailable']);
    expect(logger.lines.find((l) => l.fields.event === 'health.tick')?.level).toBe('error');
  });

  it('does not stall on a hanging store', async () => {
    const { store, tick, clock } = setup();
    store.setFault('hang');
    const start = clock.now();
    const report = await tick();
    expect(report).toMatchObject({ subTicks: 12, heartbeatFailures: 12, observationWriteFailures: 48 });
    expect(clock.now() - start).toBeLessThanOrEqual(MINUTE - 1000);
  });

  it('records a client that throws as an internal failure without leaking its message', async () => {
    const { store, tick, logger } = setup({ behaviour: (t) => (t.id === 'backend:mcp-us' ? { kind: 'throw' } : { kind: 'ok' }) });
    await tick({}, 10_000);
    const [view] = await readObservations(store, 'backend:mcp-us');
    expect(view?.latest).toMatchObject({ ok: false, error: 'internal', status: null });
    expect(JSON.stringify(logger.lines)).not.toContain('hunter2');
  });

  it('rejects malformed payloads and past deadlines before writing anything', async () => {
    const { store, tick, probes, clock, deps, state } = setup();
    await expect(tick('tick')).rejects.toMatchObject({ code: 'validation' });
    await expect(tick([])).rejects.toMatchObject({ code: 'validation' });
    await expect(tick({ scheduleSeconds: -1 })).rejects.toMatchObject({ code: 'validation' });
    await expect(runHealthTick({ ...deps, state }, {}, clock.now())).rejects.toMatchObject({ code: 'validation' });
    await expect(runHealthTick({ ...deps, state }, {}, Number.NaN)).rejects.toMatchObject({ code: 'validation' });
    expect(store.calls.put).toBe(0);
    expect(probes.calls).toHaveLength(0);
  });

  it('only writes the heartbeat when the deadline leaves no room for a probe', async () => {
    const { store, tick, probes } = setup();
    const report = await tick({}, 1500);
    expect(report).toMatchObject({ subTicks: 0, heartbeatWrites: 1, probes: 0 });
    expect(probes.calls).toHaveLength(0);
    expect(await store.get(heartbeatKey('aws'))).toBeDefined();
  });

  it('honours a 5 s schedule from settings (Azure timer) and reports isPastDue', async () => {
    const { tick } = setup({ settings: { scheduleSeconds: 5 } });
    expect(await tick({ isPastDue: true }, 5 * MINUTE)).toMatchObject({ subTicks: 1, probes: 4, isPastDue: true });
  });

  it('continues an observer record after a cold start (state read back from the store)', async () => {
    const { store, tick, clock, probes, deps } = setup();
    await tick({}, 10_000);
    const fresh = createHealthTickState(8);
    await runHealthTick({ ...deps, state: fresh }, {}, clock.now() + 10_000);
    const [view] = await readObservations(store, 'backend:mcp-eu');
    expect(view?.summary.count).toBe(4);
    expect(view?.seq).toBe(4);
    expect(probes.calls.length).toBe(16);
  });

  it('readers apply the TTL: stale observations and heartbeats are left out', async () => {
    const { store, tick, clock } = setup();
    await tick({}, 10_000);
    const now = clock.now();
    expect(await readObservations(store, undefined, { nowMs: now, ttlMs: 30_000 })).toHaveLength(4);
    expect(await readObservations(store, undefined, { nowMs: now + 60_000, ttlMs: 30_000 })).toEqual([]);
    expect((await readHeartbeats(store, { nowMs: now + 60_000, ttlMs: 30_000 })).every((h) => !h.fresh)).toBe(true);
  });
});
