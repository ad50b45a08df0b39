import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { heartbeatKey } from '../../shared/core/health/keys';
import { createHealthService, getHealth, type HealthBody } from '../../shared/usecases/health';
import { CapturingLogger, FakeProbeClient } from './support/fakes';
import { depsFor, request } from './support/mesh';
import { VirtualClock } from './support/virtual-clock';

function setup() {
  const clock = new VirtualClock();
  const store = new MemoryStateStore({ now: () => clock.now() });
  const logger = new CapturingLogger();
  const deps = depsFor('aws', { clock, store, logger, probes: new FakeProbeClient(clock) });
  const service = createHealthService(deps);
  const writeHeartbeat = (at: number) =>
    store.put(heartbeatKey('aws'), { cloud: 'aws', region: 'r', nodeId: 'timer-1', buildVersion: '1.2.3', at }, { ttlMs: 3_600_000 });
  const health = async () => {
    const res = await service.http(request('GET', '/health'));
    return { ...res, json: JSON.parse(res.body) as HealthBody };
  };
  return { clock, store, logger, deps, service, writeHeartbeat, health };
}

describe('GET /health', () => {
  it('is ready (200) with a fresh heartbeat and a reachable store', async () => {
    const { clock, writeHeartbeat, health } = setup();
    await writeHeartbeat(clock.now() - 4000);
    const res = await health();
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json).toMatchObject({
      status: 'ok',
      live: true,
      ready: true,
      cloud: 'aws',
      region: 'aws-region-1',
      nodeId: 'aws-node-1',
      version: '1.2.3',
      checks: { store: { ok: true }, heartbeat: { ok: true, ageMs: 4000, ttlMs: 30_000, nodeId: 'timer-1' } },
    });
  });

  it('is not ready (503) when the heartbeat is older than the TTL', async () => {
    const { clock, writeHeartbeat, health } = setup();
    await writeHeartbeat(clock.now() - 30_001);
    const res = await health();
    expect(res.status).toBe(503);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json).toMatchObject({ status: 'not_ready', live: true, ready: false, checks: { store: { ok: true }, heartbeat: { ok: false, reason: 'stale', ageMs: 30_001 } } });
  });

  it('is not ready (503) before the first heartbeat, or when it is malformed', async () => {
    const { store, health } = setup();
    expect((await health()).json.checks.heartbeat).toMatchObject({ ok: false, reason: 'missing' });
    await store.put(heartbeatKey('aws'), { at: 'yesterday' });
    const res = await health();
    expect(res.status).toBe(503);
    expect(res.json.checks.heartbeat).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('is not ready (503) with store.ok=false and only an error code when the store is down', async () => {
    const { clock, store, writeHeartbeat, health, logger } = setup();
    await writeHeartbeat(clock.now());
    store.setFault('unavailable');
    const res = await health();
    expect(res.status).toBe(503);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json.checks.store).toEqual({ ok: false, error: 'unavailable' });
    expect(res.body).not.toMatch(/injected|memory store/);
    expect(logger.lines.some((l) => l.level === 'warn' && l.fields.code === 'unavailable')).toBe(true);
  });

  it('answers within the store bound when the store hangs', async () => {
    const { clock, store, writeHeartbeat, health } = setup();
    await writeHeartbeat(clock.now());
    store.setFault('hang');
    const before = clock.now();
    const res = await health();
    expect(res.status).toBe(503);
    expect(res.json.checks.store).toEqual({ ok: false, error: 'timeout' });
    expect(clock.now() - before).toBe(1000);
  });

  it('hides non-meshgate errors behind the internal code', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStateStore();
    store.get = () => Promise.reject(new Error('connection string AccountKey=c2VjcmV0 refused'));
    const res = await getHealth({ ...depsFor('aws', { clock, store, probes: new FakeProbeClient(clock) }), heartbeatTtlMs: 30_000, storeTimeoutMs: 500 });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).checks.store).toEqual({ ok: false, error: 'internal' });
    expect(res.body).not.toContain('AccountKey');
  });

  it('routes only GET /health (HEAD allowed), 405 with Allow for other methods, 404 elsewhere', async () => {
    const { service } = setup();
    expect((await service.http(request('GET', '/health/'))).status).toBe(503);
    const post = await service.http(request('POST', '/health'));
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await service.http(request('HEAD', '/health'))).body).toBe('');
    expect((await service.http(request('GET', '/healthz'))).status).toBe(404);
  });

  it('rejects invalid settings when the service is built, naming the field', () => {
    const clock = new VirtualClock();
    expect(() => createHealthService(depsFor('aws', { clock, probes: new FakeProbeClient(clock), settings: { probeTimeoutMs: 9000 } }))).toThrow(/health\.probeTimeoutMs/);
  });

  it('warns when the settings exceed the probe budget', () => {
    const clock = new VirtualClock();
    const logger = new CapturingLogger();
    createHealthService(depsFor('aws', { clock, logger, probes: new FakeProbeClient(clock), settings: { probeIntervalSeconds: 1, probeTimeoutMs: 500 } }));
    expect(logger.lines.find((l) => l.fields.event === 'health.probe_budget_exceeded')?.fields).toMatchObject({ perTargetPerMinute: 180, limit: 36 });
  });
});
