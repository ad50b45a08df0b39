/**
 * The Azure scheduler entry point through @azure/functions v4: real HttpRequest and InvocationContext objects,
 * registered by importing the app's `main`. The composition is replaced by the real scheduler service over the
 * in-memory store and DNS zone.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit, type LogLevel } from '@azure/functions';
import { azureRegistrations, type AzureRegistration } from '../../shared/adapters/azure/functions-runtime';
import { MeshgateError } from '../../shared/core/errors';
import { readAudit } from '../../shared/usecases/scheduler';
import { addressTargets, schedulerUnderTest } from './support/scheduler';

jest.mock('../../shared/composition/scheduler', () => jest.requireActual<typeof import('./support/scheduler')>('./support/scheduler').compositionOf(() => mockScheduler));

const mockScheduler = schedulerUnderTest('azure-eastus-0001:scheduler', addressTargets(200), { scheduleSeconds: 5 });
const { clock, store, zone } = mockScheduler;

interface Logged {
  readonly level: LogLevel;
  readonly text: string;
}

let scheduler: Extract<AzureRegistration, { kind: 'http' }>;
let schedulerTick: Extract<AzureRegistration, { kind: 'timer' }>;

beforeAll(async () => {
  // Outside the Functions host the library runs in "test mode" and warns that it skips registration.
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  await import('../../functions/azure/index');
  warn.mockRestore();
  const byName = new Map(azureRegistrations().map((r) => [r.name, r]));
  scheduler = byName.get('scheduler') as typeof scheduler;
  schedulerTick = byName.get('schedulerTick') as typeof schedulerTick;
});

function context(name: string): { context: InvocationContext; logged: Logged[] } {
  const logged: Logged[] = [];
  const ctx = new InvocationContext({
    invocationId: '6f3b1c1e-0000-4000-8000-000000000002',
    functionName: name,
    logHandler: (level, ...args) => logged.push({ level, text: args.map(String).join(' ') }),
  });
  return { context: ctx, logged };
}

async function get(url: string, method = 'GET'): Promise<HttpResponseInit & { logged: Logged[] }> {
  const { context: ctx, logged } = context('scheduler');
  return { ...(await scheduler.handler(new HttpRequest({ method, url }), ctx)), logged };
}

const json = (init: HttpResponseInit): Record<string, unknown> => JSON.parse(String(init.body)) as Record<string, unknown>;
const timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: '2026-11-25T17:00:00.000Z', next: '2026-11-25T17:00:05.000Z', lastUpdated: '2026-11-25T17:00:00.000Z' },
};

describe('azure scheduler (app.http + app.timer v4)', () => {
  it('registers the status route for every method and the tick every 5 seconds, next to health', () => {
    expect(scheduler).toMatchObject({ kind: 'http', route: 'scheduler/status', routePrefix: 'api' });
    expect([...scheduler.methods].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(schedulerTick).toMatchObject({ kind: 'timer', schedule: '*/5 * * * * *' });
    expect(azureRegistrations().map((r) => r.name)).toEqual(expect.arrayContaining(['health', 'healthTick', 'scheduler', 'schedulerTick']));
  });

  it('runs one lease renewal and reconcile per 5 s timer run', async () => {
    const first = context('schedulerTick');
    await expect(schedulerTick.handler(timer, first.context)).resolves.toBeUndefined();
    expect(first.logged).toEqual([]);
    expect((await zone.records('mcp.example.test')).map((r) => r.weight)).toEqual([200, 200, 200]);
    clock.advance(5_000);
    // The Functions runtime adapter takes the invocation's deadline from the wall clock: let the wall clock
    // follow the virtual one for this run, as five real seconds would have passed between timer runs.
    const wall = jest.spyOn(Date, 'now').mockImplementation(() => clock.now());
    try {
      await expect(schedulerTick.handler({ isPastDue: true }, context('schedulerTick').context)).resolves.toBeUndefined();
    } finally {
      wall.mockRestore();
    }
    expect((await readAudit(store)).map((r) => r.kind)).toEqual(['lease.acquired', 'dns.plan', 'dns.apply']);
  });

  it('answers GET /api/scheduler/status with leader, verdict and plan', async () => {
    const res = await get('http://localhost:7071/api/scheduler/status');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(json(res)).toMatchObject({
      node: 'azure-eastus-0001:scheduler',
      leader: { holder: 'azure-eastus-0001:scheduler', term: 1 },
      verdict: { weights: { aws: 200, azure: 200, gcp: 200 } },
      plan: { outcome: 'success' },
    });
    expect(res.logged).toEqual([]);
  });

  it('answers another method with 405 and Allow', async () => {
    const res = await get('http://localhost:7071/api/scheduler/status', 'DELETE');
    expect(res.status).toBe(405);
    expect(res.headers).toMatchObject({ allow: 'GET, HEAD' });
  });

  it.each([
    ['an empty object', {}, /isPastDue must be a boolean, got undefined/],
    ['null', null, /expected a timer object, got null/],
  ])('rejects %s with a clear validation error and logs it', async (_name, payload, reason) => {
    const { context: ctx, logged } = context('schedulerTick');
    const rejection = schedulerTick.handler(payload, ctx);
    await expect(rejection).rejects.toThrow(MeshgateError);
    await expect(rejection).rejects.toThrow(reason);
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!.text)).toMatchObject({ msg: 'scheduled tick failed', code: 'validation' });
  });
});
