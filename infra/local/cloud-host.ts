/**
 * One cloud: its function set (health and scheduler) on one loopback port, run the way its platform would run it,
 * and, when given ports, that cloud's router (the plain Node server, MCP endpoint `/mcp`) and its demo MCP backend.
 * All of it lives in this one process, so killing or pausing the cloud's process group takes down its functions,
 * its router and its backend together (and the backend's sessions with it), as losing a region would.
 *   aws   - API Gateway HTTP API v2 events into the middy handlers (`/health`, `/scheduler/status`); each
 *           function's `tick` on an EventBridge-shaped schedule every minute.
 *   azure - the @azure/functions v4 registrations served under /api; timers fired on their NCRONTAB seconds.
 *   gcp   - the Functions Framework's own servers per function (`/health`, `/scheduler/status`); a Cloud
 *           Scheduler-shaped POST to each `*Tick` function every minute.
 * A timer never overlaps itself: a firing while the previous run is still going is skipped and the next run is
 * told it is past due (Azure's timer semantics; EventBridge and Cloud Scheduler runs end within their period).
 * The router runs `router.workers` processes: with 1 (the default) it is part of this process as described; with
 * more, this process is the node:cluster primary and the router's workers are its children (same process group,
 * so a kill or pause of the group still takes them down with the rest), restarted when they crash.
 * Usage: tsx infra/local/cloud-host.ts <aws|azure|gcp> <port> [<routerPort> <backendPort>]
 * (environment: MESHGATE_* as in production; the backend answers as `<cloud>-demo` on 127.0.0.1:<backendPort>/mcp,
 * which is where meshgate.local.yaml's `<cloud>-demo` backend URL must point).
 */
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { Context } from 'aws-lambda';
import { InvocationContext } from '@azure/functions';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { azureRegistrations } from '../../shared/adapters/azure/functions-runtime';
import { startRouterServer } from '../../shared/adapters/http/node-router-server';
import { resolveRouterWorkers, runRouterWorker, superviseRouterWorkers } from '../../shared/adapters/http/router-cluster';
import { loadConfig } from '../../shared/config';
import { routerService } from '../../shared/composition/router';
import { startDemoMcpServer } from './demo-mcp-server';
import { lambdaContext, serveAwsHandler, serveAzureApp, type LocalLambdaHandler } from '../../shared/adapters/local';

const PLATFORM_SCHEDULE_MS = 60_000;

type Stop = () => void;

function every(name: string, ms: number, fire: (isPastDue: boolean) => Promise<unknown>): Stop {
  let running = false;
  let missed = false;
  const run = (): void => {
    if (running) {
      missed = true;
      return;
    }
    running = true;
    const isPastDue = missed;
    missed = false;
    void fire(isPastDue)
      .catch((err: unknown) => console.error(JSON.stringify({ level: 'error', event: 'local.timer_failed', timer: name, error: String(err) })))
      .finally(() => {
        running = false;
      });
  };
  run();
  const timer = setInterval(run, ms);
  return () => clearInterval(timer);
}

function scheduledEvent(): Record<string, unknown> {
  return { version: '0', id: crypto.randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: new Date().toISOString(), region: 'local', resources: [], detail: {} };
}

async function hostAws(port: number): Promise<Stop> {
  type LambdaModule = { handler: LocalLambdaHandler; tick?: (event: unknown, context: Context) => Promise<unknown> };
  const functions: Record<string, LambdaModule> = {
    health: (await import('../../functions/aws/health')) as unknown as LambdaModule,
    scheduler: (await import('../../functions/aws/scheduler')) as unknown as LambdaModule,
  };
  const route: LocalLambdaHandler = async (event, context) => {
    const name = event.rawPath.split('/')[1] ?? '';
    const fn = functions[name];
    if (fn) return fn.handler(event, context);
    return { statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' };
  };
  const server = await serveAwsHandler(route, port);
  const stops = Object.entries(functions).flatMap(([name, fn]) =>
    fn.tick ? [every(`${name}Tick`, PLATFORM_SCHEDULE_MS, () => fn.tick!(scheduledEvent(), lambdaContext(`${name}Tick`, PLATFORM_SCHEDULE_MS)))] : [],
  );
  return () => (stops.forEach((stop) => stop()), server.close());
}

/** `*\/N * * * * *` → N seconds; the local host supports only this every-N-seconds NCRONTAB form. */
function everySeconds(schedule: string): number {
  const match = /^\*\/(\d+) \* \* \* \* \*$/.exec(schedule);
  if (!match) throw new Error(`local azure host: unsupported NCRONTAB schedule "${schedule}" (use */N * * * * *)`);
  return Number(match[1]) * 1000;
}

async function hostAzure(port: number): Promise<Stop> {
  await import('../../functions/azure/index');
  const server = await serveAzureApp(port);
  const stops = azureRegistrations().flatMap((registration) =>
    registration.kind === 'timer'
      ? [
          every(registration.name, everySeconds(registration.schedule), (isPastDue) =>
            registration.handler({ isPastDue }, new InvocationContext({ functionName: registration.name })),
          ),
        ]
      : [],
  );
  return () => (stops.forEach((stop) => stop()), server.close());
}

async function hostGcp(port: number): Promise<Stop> {
  const exported: Record<string, unknown> = {
    ...(await import('../../functions/gcp/health')),
    ...(await import('../../functions/gcp/scheduler')),
  };
  const servers = new Map<string, Server>(Object.keys(exported).map((name) => [name, getTestServer(name)]));
  // The Cloud Functions URL of a function is its own host; locally `/<name>/...` reaches function `<name>`,
  // and `/health` reaches `health` as the cloudfunctions.net URL would (`/scheduler/status` reaches `scheduler`
  // as `/status`, which its mount path serves as `/scheduler/status`).
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').split(/[/?]/)[1] ?? '';
    const target = servers.get(name);
    if (!target) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    if (name !== 'health') req.url = (req.url ?? '/').slice(name.length + 1) || '/';
    target.emit('request', req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stops = [...servers.keys()]
    .filter((name) => name.endsWith('Tick'))
    .map((name) =>
      every(name, PLATFORM_SCHEDULE_MS, () =>
        fetch(`http://127.0.0.1:${port}/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"schedule":"tick"}' }),
      ),
    );
  return () => (stops.forEach((stop) => stop()), server.close());
}

/**
 * The cloud's demo backend, then its router in front of every configured backend (the backend first: the router's
 * first requests find it): in this process, or as `router.workers` cluster workers sharing `routerPort`.
 */
async function hostRouter(cloud: string, routerPort: number, backendPort: number): Promise<() => Promise<void> | void> {
  const backend = await startDemoMcpServer(`${cloud}-demo`, backendPort);
  const workers = resolveRouterWorkers(loadConfig().router.workers);
  if (workers > 1) {
    // Each worker writes session bindings to the replicated store: one HLC node id per process (and per restart).
    const base = process.env.MESHGATE_NODE_ID;
    const routers = superviseRouterWorkers({
      workers,
      workerEnv: (slot, start): Record<string, string> => {
        if (base === undefined) return {};
        const suffix = `:router${slot}.${start}`;
        return { MESHGATE_NODE_ID: `${base.slice(0, 64 - suffix.length)}${suffix}` };
      },
    });
    await routers.ready;
    return () => routers.stop().then(() => backend.close());
  }
  const service = routerService();
  const server = await startRouterServer({ router: service.router, port: routerPort });
  return () => void server.close().then(() => service.close()).then(() => backend.close());
}

/** A router cluster worker (`router.workers` > 1): only the router, on the primary's shared port. */
async function routerWorker(routerPort: number): Promise<void> {
  await runRouterWorker(async () => {
    const service = routerService();
    const server = await startRouterServer({ router: service.router, port: routerPort });
    return { drain: (ms?: number) => server.drain(ms).then(() => service.close()) };
  });
}

const isPort = (n: number): boolean => Number.isInteger(n) && n > 0 && n < 65_536;

async function main(): Promise<void> {
  const [cloud, ...ports] = process.argv.slice(2);
  const [port, routerPort, backendPort] = ports.map(Number);
  const hosts: Record<string, (port: number) => Promise<Stop>> = { aws: hostAws, azure: hostAzure, gcp: hostGcp };
  const host = cloud === undefined ? undefined : hosts[cloud];
  if (cloud === undefined) throw new Error('usage: cloud-host.ts <aws|azure|gcp> <port> [<routerPort> <backendPort>]');
  const withRouter = routerPort !== undefined && backendPort !== undefined;
  if (!host || port === undefined || !isPort(port) || (ports.length !== 1 && ports.length !== 3) || (withRouter && !(isPort(routerPort) && isPort(backendPort)))) {
    throw new Error('usage: cloud-host.ts <aws|azure|gcp> <port> [<routerPort> <backendPort>]');
  }
  if (cluster.isWorker && withRouter) return routerWorker(routerPort);
  const stopRouter = withRouter ? await hostRouter(cloud, routerPort, backendPort) : () => undefined;
  const stopFunctions = await host(port);
  // Router workers, if any, drain before this process exits (they would exit at once without their primary).
  const stop = (): Promise<unknown> => Promise.all([stopFunctions(), stopRouter()]);
  process.on('SIGTERM', () => void stop().finally(() => process.exit(0)));
  process.on('SIGINT', () => void stop().finally(() => process.exit(0)));
  console.log(JSON.stringify({ level: 'info', event: 'local.cloud_ready', cloud, port, ...(withRouter ? { routerPort, backendPort } : {}) }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
