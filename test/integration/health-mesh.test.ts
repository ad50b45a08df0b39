/**
 * The health mesh on loopback: the three clouds' health functions, each behind its own runtime's library and
 * local host (middy + the Lambda host, @azure/functions + the Functions-style host, the Functions Framework's
 * server), sharing one replicated store over DynamoDB (moto), Cosmos DB (cosmosdb-server) and Firestore (its
 * emulator), probing each other's /health and two demo MCP backends.
 *
 * Every cloud has its own composition (context, store clients, node id, probe state), as in production; they
 * share one configuration whose peers are the three loopback hosts.
 */
import type { Server } from 'node:http';
import { InvocationContext } from '@azure/functions';
import { httpErrorHandler, lambdaHttp, lambdaSchedule } from '../../shared/adapters/aws/lambda-runtime';
import { registerHttp as registerAzureHttp, registerTimer, type AzureApp } from '../../shared/adapters/azure/functions-runtime';
import { registerHttp as registerGcpHttp, registerSchedule } from '../../shared/adapters/gcp/functions-framework-runtime';
import { serveAwsHandler, serveAzureApp, serveGcpFunction } from '../../shared/adapters/local';
import { systemClock } from '../../shared/adapters/system-clock';
import { buildHealthService } from '../../shared/composition/health';
import { createAppContext, createStores, type AppContext } from '../../shared/composition/context';
import type { CloudName, MeshgateConfig } from '../../shared/config';
import { backendTargetId, peerTargetId } from '../../shared/core/health/keys';
import type { ProbeSample } from '../../shared/core/health/observation';
import type { KeyValueStore } from '../../shared/ports/key-value-store';
import { readHeartbeats, readObservations, type HealthService, type HeartbeatView, type ObservationView } from '../../shared/usecases/health';
import { ReplicatedStore } from '../../shared/usecases/replicated-store';
import { startDemoMcpServer, type DemoMcpServer } from '../../infra/local/demo-mcp-server';
import { baseUrl, close } from '../handlers/support/server';
import { lambdaContext, scheduledEvent } from '../handlers/support/aws-events';
import { closeStores, functionConfig, provisionStores, retryWhile, storeTimedOut, TEST_TICK_BUDGET_MS } from '../support/function-env';

jest.mock('@middy/core', () => jest.requireActual<typeof import('../handlers/support/esm')>('../handlers/support/esm').requireEsmAsCjs('@middy/core'));
jest.setTimeout(120_000);

const CLOUDS: readonly CloudName[] = ['aws', 'azure', 'gcp'];
const VERSION = '2.0.0-mesh';
/** Each tick's deadline: one sub-tick at the test timings. */
const TICK_BUDGET_MS = TEST_TICK_BUDGET_MS;

const services = new Map<CloudName, HealthService>();
const contexts = new Map<CloudName, AppContext>();
const servers: Server[] = [];
const backends: DemoMcpServer[] = [];
const healthUrls = new Map<CloudName, string>();
const ticks = new Map<CloudName, () => Promise<void>>();
let config: MeshgateConfig;
let readerStores: KeyValueStore[] = [];
let reader: ReplicatedStore;
/** Lines the Azure runtime adapter logged through its InvocationContext (failures only). */
const azureLogged: string[] = [];

/** Bound late: the hosts must listen before the configuration (whose peers are their URLs) exists. */
const serviceOf = (cloud: CloudName): HealthService => {
  const service = services.get(cloud);
  if (service === undefined) throw new Error(`${cloud} health service not built yet`);
  return service;
};
const http = (cloud: CloudName) => (request: Parameters<HealthService['http']>[0]) => serviceOf(cloud).http(request);
const tick = (cloud: CloudName) => (payload: unknown, deadlineAt: number) => serviceOf(cloud).tick(payload, deadlineAt);

beforeAll(async () => {
  const middy = (await import('@middy/core')).default;
  backends.push(await startDemoMcpServer('mesh-backend-one'), await startDemoMcpServer('mesh-backend-two'));

  // AWS: middy around the Lambda adapter, API Gateway v2 events from the local host; EventBridge for the tick.
  const awsServer = await serveAwsHandler(middy(lambdaHttp(http('aws'))).use(httpErrorHandler()), 0, { functionName: 'health' });
  const awsTick = middy(lambdaSchedule(tick('aws')));
  ticks.set('aws', () => awsTick(scheduledEvent, lambdaContext(TICK_BUDGET_MS)));

  // Azure: app.http / app.timer registrations (the library's app outside a host keeps nothing; the adapter does).
  const app: AzureApp = { http: () => undefined, timer: () => undefined };
  registerAzureHttp(app, 'health', http('azure'), { route: 'health' });
  const azureTick = registerTimer(app, 'healthTick', '*/5 * * * * *', tick('azure'), { budgetMs: TICK_BUDGET_MS });
  const azureServer = await serveAzureApp(0);
  ticks.set('azure', async () => {
    const context = new InvocationContext({ functionName: 'healthTick', logHandler: (_level, ...args) => azureLogged.push(args.map(String).join(' ')) });
    await azureTick({ isPastDue: false, scheduleStatus: { last: new Date().toISOString() } }, context);
  });

  // GCP: the Functions Framework's own server for the HTTP function and the Cloud Scheduler target.
  registerGcpHttp('health', http('gcp'), { mountPath: '/health' });
  registerSchedule('healthTick', tick('gcp'), { budgetMs: TICK_BUDGET_MS });
  const [gcpServer, gcpTickServer] = await Promise.all([serveGcpFunction('health', 0), serveGcpFunction('healthTick', 0)]);
  ticks.set('gcp', async () => {
    const res = await fetch(`${baseUrl(gcpTickServer)}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"schedule":"tick"}' });
    if (res.status !== 204) throw new Error(`gcp tick answered ${res.status}: ${await res.text()}`);
  });
  servers.push(awsServer, azureServer, gcpServer, gcpTickServer);

  const peers = { aws: baseUrl(awsServer), azure: `${baseUrl(azureServer)}/api`, gcp: baseUrl(gcpServer) };
  for (const cloud of CLOUDS) healthUrls.set(cloud, `${peers[cloud]}/health`);
  ({ config } = functionConfig({
    prefix: 'mesh',
    peers,
    backends: backends.map((b, i) => ({ id: `demo-${i + 1}`, url: b.url, provider: CLOUDS[i] })),
  }));
  await provisionStores(config);

  for (const cloud of CLOUDS) {
    const region = config.providers[cloud]!.region;
    const context = createAppContext(config, { cloud, region, nodeId: `${cloud}-mesh`, buildVersion: VERSION, logLevel: 'silent' });
    contexts.set(cloud, context);
    services.set(cloud, buildHealthService(context));
  }
  readerStores = createStores(config);
  reader = new ReplicatedStore({ stores: readerStores, clock: systemClock, nodeId: 'mesh-reader', consistency: config.replication.consistency });
});

afterAll(async () => {
  await Promise.all(servers.map(close));
  await Promise.all(backends.map((b) => b.close()));
  await Promise.all([...contexts.values()].map((c) => c.store.close()));
  await reader?.close();
  await closeStores(readerStores);
});

/**
 * One timer run on every cloud at once, then waits until each cloud's store has delivered its writes to every
 * replica (heartbeats and observations are `eventual`: acknowledged by the first store, fanned out after).
 */
async function tickAll(): Promise<void> {
  await Promise.all(CLOUDS.map((cloud) => ticks.get(cloud)!()));
  await Promise.all([...contexts.values()].map((c) => c.store.settle()));
}

/** Every (observer, target) record, keyed `observer → target`. */
async function observations(): Promise<Map<string, ObservationView>> {
  const views = await readObservations(reader, undefined, { nowMs: Date.now(), ttlMs: config.health.heartbeatTtlSeconds * 1000 });
  return new Map(views.map((v) => [`${v.observer} → ${v.target}`, v] as const));
}

/** The samples of `observer → target` taken at or after `since`, newest first. */
const samplesSince = (seen: Map<string, ObservationView>, observer: CloudName, target: string, since: number): ProbeSample[] =>
  (seen.get(`${observer} → ${target}`)?.recent ?? []).filter((sample) => sample.at >= since);

/**
 * Ticks every cloud, then reads, until `done` holds for what was read, at most `rounds` times, and returns the
 * last read. One round normally does; on a machine starved of CPU a store call can miss its 1 s bound or a
 * probe its 2 s timeout, which the mesh records honestly as a failure, so the next round tries again.
 */
async function tickUntil<T>(read: () => Promise<T>, done: (seen: T) => boolean, rounds = 3): Promise<T> {
  await tickAll();
  let seen = await read();
  for (let round = 2; round <= rounds && !done(seen); round += 1) {
    await tickAll();
    seen = await read();
  }
  return seen;
}

const heartbeats = (): Promise<HeartbeatView[]> => readHeartbeats(reader, { nowMs: Date.now(), ttlMs: config.health.heartbeatTtlSeconds * 1000 });

const healthOf = async (cloud: CloudName): Promise<{ status: number; cacheControl: string | null; body: Record<string, unknown> }> => {
  const once = async () => {
    const res = await fetch(healthUrls.get(cloud)!);
    return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as Record<string, unknown> };
  };
  // A bounded store read that timed out on a starved machine is asked again; any other answer is final.
  return retryWhile(once, (answer) => storeTimedOut(answer.body));
};

const BACKEND_ONE = backendTargetId('demo-1');
const BACKEND_TWO = backendTargetId('demo-2');
const targetsOf = (observer: CloudName): string[] => [...CLOUDS.filter((c) => c !== observer).map(peerTargetId), BACKEND_ONE, BACKEND_TWO];

describe('health mesh on loopback (three runtimes, one replicated store on the emulators)', () => {
  it('answers 503 not ready on every cloud before any timer has run', async () => {
    for (const cloud of CLOUDS) {
      const health = await healthOf(cloud);
      expect({ cloud, status: health.status, cacheControl: health.cacheControl }).toEqual({ cloud, status: 503, cacheControl: 'no-store' });
      expect(health.body).toMatchObject({ live: true, ready: false, cloud, checks: { heartbeat: { ok: false } } });
    }
  });

  it('after one tick per cloud: a fresh heartbeat from each, and each cloud answers 200 ready with its identity', async () => {
    const before = Date.now();
    const seen = await tickUntil(heartbeats, (hbs) => CLOUDS.every((cloud) => hbs.some((hb) => hb.cloud === cloud && hb.at >= before)));
    expect(seen.map((h) => h.cloud).sort()).toEqual([...CLOUDS]);
    for (const hb of seen) {
      expect(hb).toMatchObject({ fresh: true, nodeId: `${hb.cloud}-mesh`, buildVersion: VERSION, region: config.providers[hb.cloud as CloudName]!.region });
      expect(hb.at).toBeGreaterThanOrEqual(before);
    }
    for (const cloud of CLOUDS) {
      const health = await healthOf(cloud);
      expect({ cloud, status: health.status, cacheControl: health.cacheControl }).toEqual({ cloud, status: 200, cacheControl: 'no-store' });
      expect(health.body).toMatchObject({
        status: 'ok',
        live: true,
        ready: true,
        cloud,
        region: config.providers[cloud]!.region,
        nodeId: `${cloud}-mesh`,
        version: VERSION,
        checks: { store: { ok: true }, heartbeat: { ok: true, nodeId: `${cloud}-mesh` } },
      });
    }
  });

  it('after the next tick: every cloud saw both other clouds /health and both backends ok', async () => {
    const since = Date.now();
    const everyPairOk = (seen: Map<string, ObservationView>): boolean =>
      CLOUDS.every((observer) => targetsOf(observer).every((target) => samplesSince(seen, observer, target, since).some((s) => s.ok)));
    const seen = await tickUntil(observations, everyPairOk);
    for (const observer of CLOUDS) {
      for (const target of targetsOf(observer)) {
        const ok = samplesSince(seen, observer, target, since).find((s) => s.ok);
        expect({ observer, target, ok: ok?.ok, status: ok?.status, error: ok?.error }).toEqual({ observer, target, ok: true, status: 200, error: undefined });
      }
      // An observer never probes itself.
      expect(seen.has(`${observer} → ${peerTargetId(observer)}`)).toBe(false);
    }
    expect(azureLogged).toEqual([]);
  });

  it('after a backend stops: every cloud records its probes of it as connection failures, and still sees the other backend ok', async () => {
    await backends[1]!.close();
    const since = Date.now();
    const everyObserverProbed = (seen: Map<string, ObservationView>): boolean =>
      CLOUDS.every((observer) => samplesSince(seen, observer, BACKEND_TWO, since).length > 0 && samplesSince(seen, observer, BACKEND_ONE, since).some((s) => s.ok));
    const seen = await tickUntil(observations, everyObserverProbed);
    for (const observer of CLOUDS) {
      const down = samplesSince(seen, observer, BACKEND_TWO, since);
      expect({ observer, probed: down.length > 0 }).toEqual({ observer, probed: true });
      for (const sample of down) expect({ observer, ok: sample.ok, status: sample.status, error: sample.error }).toEqual({ observer, ok: false, status: null, error: 'connection' });
      const summary = seen.get(`${observer} → ${BACKEND_TWO}`)!.summary;
      expect({ observer, consecutiveSuccesses: summary.consecutiveSuccesses, failingSince: summary.consecutiveFailures >= down.length }).toEqual({ observer, consecutiveSuccesses: 0, failingSince: true });
      expect({ observer, up: samplesSince(seen, observer, BACKEND_ONE, since).some((s) => s.ok) }).toEqual({ observer, up: true });
    }
    expect(azureLogged).toEqual([]);
  });
});
