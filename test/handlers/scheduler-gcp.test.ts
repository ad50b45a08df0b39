/**
 * The GCP scheduler entry points through the Functions Framework's own server (getTestServer) over loopback.
 * The composition is replaced by the real scheduler service over the in-memory store and DNS zone, on a clock
 * whose sleeps fire at once, so the 55 s Cloud Scheduler budget runs in milliseconds.
 */
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { readAudit } from '../../shared/usecases/scheduler';
import { captureStdout, type Captured } from './support/capture';
import { addressTargets, schedulerUnderTest } from './support/scheduler';
import { onLoopback } from './support/server';

jest.mock('../../shared/composition/scheduler', () => jest.requireActual<typeof import('./support/scheduler')>('./support/scheduler').compositionOf(() => mockScheduler));

const mockScheduler = schedulerUnderTest('gcp-europe-west1-0001:scheduler', addressTargets(255));
const { store, zone, logger } = mockScheduler;

let scheduler: Awaited<ReturnType<typeof onLoopback>>;
let tick: Awaited<ReturnType<typeof onLoopback>>;
let out: Captured;

beforeAll(async () => {
  const entry = await import('../../functions/gcp/scheduler');
  expect(typeof entry.scheduler).toBe('function');
  expect(typeof entry.schedulerTick).toBe('function');
  [scheduler, tick] = await Promise.all([onLoopback(getTestServer('scheduler')), onLoopback(getTestServer('schedulerTick'))]);
});
afterAll(async () => {
  await Promise.all([scheduler?.close(), tick?.close()]);
});
beforeEach(() => {
  out = captureStdout();
});
afterEach(() => out.restore());

const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => fetch(`${tick.url}/`, { method: 'POST', headers, body });

describe('gcp scheduler (functions-framework + Cloud Scheduler over HTTP)', () => {
  it('serves /status as /scheduler/status (the cloudfunctions.net URL strips the function name)', async () => {
    for (const path of ['/scheduler/status', '/status']) {
      const res = await fetch(`${scheduler.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toMatchObject({ node: 'gcp-europe-west1-0001:scheduler', leader: null });
    }
  });

  it('accepts the Cloud Scheduler body {"schedule":"tick"} with 204 after sub-ticking within the budget', async () => {
    const res = await post('{"schedule":"tick"}');
    expect(res.status).toBe(204);
    expect(out.lines()).toEqual([]);
    expect(logger.lines.find((l) => l.fields.event === 'scheduler.tick')).toMatchObject({ fields: { subTicks: 22, led: 22, applied: 1 } });
    expect((await zone.records('mcp.example.test')).map((r) => r.weight)).toEqual([255, 255, 255]);
    const status = (await (await fetch(`${scheduler.url}/scheduler/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ leader: { term: 1, live: true }, plan: { outcome: 'success' } });
    expect((await readAudit(store)).map((r) => r.kind)).toEqual(['lease.acquired', 'dns.plan', 'dns.apply']);
  });

  it('rejects a different body with 400 and a clear validation error, logged', async () => {
    const res = await post('{"schedule":"tock"}');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation');
    const [line, ...rest] = out.json();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ severity: 'WARNING', message: 'scheduled tick failed', code: 'validation' });
  });

  it('answers GET on the tick with 405 and Allow: POST, and other methods on the status with 405', async () => {
    const res = await fetch(`${tick.url}/`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const put = await fetch(`${scheduler.url}/scheduler/status`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
  });
});
