/**
 * The scheduler service around electAndReconcile: sub-ticks inside one invocation, payload validation (the
 * health tick's rules), settings validation and `GET /scheduler/status`.
 */
import { MemoryDnsProvider } from '../../shared/adapters/memory/memory-dns-provider';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { MeshgateError } from '../../shared/core/errors';
import { parseLeaseRecord } from '../../shared/core/lease';
import {
  createSchedulerService,
  createSchedulerState,
  readAudit,
  runSchedulerTick,
  type SchedulerDeps,
  type SchedulerTarget,
} from '../../shared/usecases/scheduler';
import { CapturingLogger } from '../health/support/fakes';
import { VirtualClock } from '../health/support/virtual-clock';
import type { HttpRequestLike } from '../../shared/ports/http';

const TARGETS: SchedulerTarget[] = [
  { id: 'aws', cloud: 'aws', type: 'A', values: ['192.0.2.1'], weight: 255 },
  { id: 'azure', cloud: 'azure', type: 'A', values: ['192.0.2.2'], weight: 255 },
  { id: 'gcp', cloud: 'gcp', type: 'AAAA', values: ['2001:db8::3'], weight: 255 },
];

function setup(overrides: Partial<SchedulerDeps> = {}) {
  const clock = new VirtualClock();
  const store = new MemoryStateStore({ now: () => clock.now() });
  const zone = new MemoryDnsProvider({ zone: 'example.test' });
  const logger = new CapturingLogger();
  const deps: SchedulerDeps = {
    nodeId: 'aws-us-east-1-0001:scheduler',
    store,
    dnsProvider: zone,
    clock,
    logger,
    dns: { record: 'mcp.example.test', ttl: 30 },
    targets: TARGETS,
    observers: ['aws', 'azure', 'gcp'],
    random: () => 0.5,
    ...overrides,
  };
  return { clock, store, zone, logger, deps };
}

const request = (method: string, path: string): HttpRequestLike => ({ method, path, headers: {}, query: {}, body: '' });
const MINUTE = 60_000;
const scheduledEvent = { version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-01-01T00:00:00Z', detail: {} };

describe('runSchedulerTick', () => {
  it('reconciles every 2.5 s and renews the lease every 5 s for a minute: 24 steps, one apply, then one DNS read each', async () => {
    const { clock, store, zone, deps, logger } = setup();
    const state = createSchedulerState(deps);
    const applySpy = jest.spyOn(zone, 'apply');
    const started = clock.now();
    const report = await runSchedulerTick({ ...deps, state }, scheduledEvent, started + MINUTE);

    expect(report).toMatchObject({ subTicks: 24, led: 24, applied: 1, fencedOut: 0, failed: 0, isPastDue: false });
    // currentTerm + records + apply on the first step, one records() read on each of the other 23.
    expect(report.dnsCalls).toBe(3 + 23);
    expect(applySpy).toHaveBeenCalledTimes(1);
    expect(clock.now() - started).toBeLessThanOrEqual(MINUTE - 1_000);
    const lease = parseLeaseRecord((await store.get('scheduler/lease'))?.value);
    expect(lease).toMatchObject({ holder: deps.nodeId, term: 1 });
    // Written at 0, 5, ..., 55 s (every other step), each time for 12 s. The next renewal is due at 60 s, when the
    // next invocation starts: no extra renewal at the end of this one.
    expect(lease.expiresAt).toBe(started + 11 * 5_000 + 12_000);
    expect(report.leaseCarried).toBe(false);
    expect((await zone.records('mcp.example.test')).map((r) => [r.setId, r.type, r.weight])).toEqual([
      ['aws', 'A', 255],
      ['azure', 'A', 255],
      ['gcp', 'AAAA', 255],
    ]);
    expect(logger.lines.find((l) => l.fields.event === 'scheduler.tick')).toMatchObject({ level: 'info', fields: { subTicks: 24, led: 24, term: 1 } });
  });

  it('runs two steps in a 4.5 s Azure run (timer every 5 s), and the next run renews', async () => {
    const { clock, deps } = setup({ tuning: { scheduleSeconds: 5 } });
    const state = createSchedulerState(deps);
    const timer = { isPastDue: true, scheduleStatus: { last: '2026-01-01T00:00:00.000Z' } };
    const first = await runSchedulerTick({ ...deps, state }, timer, clock.now() + 4_500);
    expect(first).toMatchObject({ subTicks: 2, led: 2, applied: 1, isPastDue: true });
    clock.advance(5_000);
    const second = await runSchedulerTick({ ...deps, state }, timer, clock.now() + 4_500);
    expect(second).toMatchObject({ subTicks: 2, led: 2, applied: 0, last: { result: 'in-sync', term: 1 } });
  });

  it('takes over the moment a live lease held by another node expires, not at its next step', async () => {
    const { clock, store, deps, zone } = setup();
    const expiresAt = clock.now() + 3_700;
    await store.put('scheduler/lease', { holder: 'gcp-europe-west1-0002:scheduler', term: 4, expiresAt }, { expectedVersion: null });
    const applySpy = jest.spyOn(zone, 'apply');
    const report = await runSchedulerTick({ ...deps, state: createSchedulerState(deps) }, { scheduleSeconds: 5 }, clock.now() + MINUTE);
    // Steps at 0 and 2.5 s follow; the retry at expiry + 1 ms takes over with term 5 and reconciles.
    expect(report).toMatchObject({ subTicks: 3, led: 1, applied: 1, last: { leader: true, term: 5 } });
    const lease = parseLeaseRecord((await store.get('scheduler/lease'))?.value);
    expect(lease).toMatchObject({ holder: deps.nodeId, term: 5, expiresAt: expiresAt + 1 + 12_000 });
    expect(applySpy).toHaveBeenCalledTimes(1);
  });

  it('keeps the lease across the pause between Cloud Functions invocations (55 s budget, one a minute)', async () => {
    const { clock, store, deps } = setup();
    const state = createSchedulerState(deps);
    const started = clock.now();
    const first = await runSchedulerTick({ ...deps, state }, {}, started + 55_000);
    expect(first).toMatchObject({ led: first.subTicks, leaseCarried: true });
    // The window ends at 54 s (1 s deadline margin); the carry renewal is at 53 s: the lease runs to 65 s.
    expect(parseLeaseRecord((await store.get('scheduler/lease'))?.value).expiresAt).toBe(started + 53_000 + 12_000);

    // Another instance checking just after the next invocation was due still sees a live lease.
    clock.set(started + 61_000);
    const contender = await runSchedulerTick({ ...deps, nodeId: 'gcp-europe-west1-0002:scheduler', state: createSchedulerState({ ...deps, nodeId: 'gcp-europe-west1-0002:scheduler' }) }, { scheduleSeconds: 1 }, clock.now() + 55_000);
    expect(contender).toMatchObject({ led: 0, leaseCarried: false, last: { leader: false, holder: deps.nodeId, term: 1 } });

    clock.set(started + 60_000);
    const second = await runSchedulerTick({ ...deps, state }, {}, started + 115_000);
    expect(second).toMatchObject({ led: second.subTicks, fencedOut: 0, last: { leader: true, term: 1 } });
  });

  it('does not renew at the end of an invocation it did not lead', async () => {
    const { clock, store, deps } = setup();
    const expiresAt = clock.now() + 30_000;
    await store.put('scheduler/lease', { holder: 'gcp-europe-west1-0002:scheduler', term: 4, expiresAt }, { expectedVersion: null });
    const report = await runSchedulerTick({ ...deps, state: createSchedulerState(deps) }, { scheduleSeconds: 10 }, clock.now() + MINUTE);
    expect(report).toMatchObject({ led: 0, leaseCarried: false });
    expect(parseLeaseRecord((await store.get('scheduler/lease'))?.value)).toMatchObject({ holder: 'gcp-europe-west1-0002:scheduler', term: 4, expiresAt });
  });

  it('lets a payload shorten the window with scheduleSeconds', async () => {
    const { clock, deps } = setup();
    const report = await runSchedulerTick({ ...deps, state: createSchedulerState(deps) }, { scheduleSeconds: 10 }, clock.now() + MINUTE);
    expect(report.subTicks).toBe(4);
  });

  it.each([
    ['a string', 'tick', /^scheduler tick payload: expected an object or nothing, got string$/],
    ['an array', [], /expected an object or nothing, got array/],
    ['a bad scheduleSeconds', { scheduleSeconds: 0 }, /scheduler tick payload: scheduleSeconds must be an integer in \[1, 3600\]/],
    ['a bad isPastDue', { isPastDue: 'yes' }, /scheduler tick payload: isPastDue must be a boolean/],
  ])('rejects %s with a validation error before writing anything', async (_name, payload, message) => {
    const { clock, store, deps } = setup();
    const run = runSchedulerTick({ ...deps, state: createSchedulerState(deps) }, payload, clock.now() + MINUTE);
    await expect(run).rejects.toThrow(MeshgateError);
    await expect(run).rejects.toMatchObject({ code: 'validation', message: expect.stringMatching(message) as string });
    expect(store.calls.put).toBe(0);
  });

  it('rejects a deadline in the past or not a number', async () => {
    const { clock, deps } = setup();
    const state = createSchedulerState(deps);
    await expect(runSchedulerTick({ ...deps, state }, {}, clock.now() - 1)).rejects.toThrow(/^scheduler tick: deadlineAt is 1 ms in the past$/);
    await expect(runSchedulerTick({ ...deps, state }, {}, Number.NaN)).rejects.toThrow(/deadlineAt must be a finite epoch ms/);
  });

  it('keeps ticking (and reports) when the DNS provider is down, without throwing', async () => {
    const { clock, deps, zone } = setup({ tuning: { scheduleSeconds: 10 } });
    jest.spyOn(zone, 'currentTerm').mockRejectedValue(new MeshgateError('unavailable', 'route53: 503'));
    const report = await runSchedulerTick({ ...deps, state: createSchedulerState(deps) }, {}, clock.now() + MINUTE);
    expect(report).toMatchObject({ subTicks: 4, led: 4, applied: 0, failed: 4 });
  });
});

describe('createSchedulerService', () => {
  it('validates the settings up front, naming the field', () => {
    const { deps } = setup();
    expect(() => createSchedulerService({ ...deps, targets: [TARGETS[0]!, { ...TARGETS[1]!, cloud: 'aws' }] })).toThrow(/scheduler\.targets\[1\]\.cloud: aws listed twice/);
    expect(() => createSchedulerService({ ...deps, targets: [{ ...TARGETS[0]!, type: 'CNAME', values: ['a.example', 'b.example'] }] })).toThrow(/a CNAME holds exactly one value/);
    expect(() => createSchedulerService({ ...deps, observers: ['aws'] })).toThrow(/verdict\.quorum: exceeds the number of observers/);
    expect(() => createSchedulerService({ ...deps, tuning: { intervalMs: 10_000 } })).toThrow(/must not exceed the lease renew interval/);
    expect(() => createSchedulerService({ ...deps, targets: [] })).toThrow(/scheduler\.targets: at least one target/);
  });

  it('answers GET /scheduler/status with leader, term, last verdict and last plan, never cached', async () => {
    const { clock, deps } = setup();
    const service = createSchedulerService(deps);
    const empty = await service.http(request('GET', '/scheduler/status'));
    expect(empty.status).toBe(200);
    expect(empty.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(JSON.parse(empty.body)).toMatchObject({ node: deps.nodeId, leader: null, verdict: null, plan: null });

    await service.tick({}, clock.now() + 6_000);
    const body = JSON.parse((await service.http(request('GET', '/scheduler/status'))).body) as Record<string, unknown>;
    expect(body).toMatchObject({
      leader: { holder: deps.nodeId, term: 1, live: true },
      verdict: {
        term: 1,
        node: deps.nodeId,
        allDown: false,
        alertOpen: false,
        weights: { aws: 255, azure: 255, gcp: 255 },
        targets: { aws: { phase: 'UP', rampStage: null }, azure: { phase: 'UP' }, gcp: { phase: 'UP' } },
        transitions: [],
      },
      plan: { term: 1, outcome: 'success', changeCount: 4, attempts: 1, code: null, changes: { create: [{ setId: 'aws', weight: 255 }, { setId: 'azure' }, { setId: 'gcp' }] } },
    });
    const audit = await readAudit(deps.store);
    expect(audit.map((r) => r.kind)).toEqual(['lease.acquired', 'dns.plan', 'dns.apply']);
  });

  it('answers 404 and 405 like every other function, and fails with unavailable when the store is down', async () => {
    const { deps, store } = setup();
    const service = createSchedulerService(deps);
    expect((await service.http(request('GET', '/scheduler/nope'))).status).toBe(404);
    const post = await service.http(request('POST', '/scheduler/status'));
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    store.setFault('unavailable');
    await expect(service.http(request('GET', '/scheduler/status'))).rejects.toMatchObject({ code: 'unavailable' });
  });
});
