/**
 * Child process of bench/router.bench.ts: the meshgate router in front of one plain HTTP backend (`/` and
 * everything else) and the same backend's MCP endpoint (`/mcp`), served either by the router's own Node server
 * or by Google's functions-framework (its Express server from `getTestServer`, the router's request listener as
 * the user function). With `node <workers>` (workers > 1) the Node server runs as a node:cluster of that many
 * worker processes sharing the port (`router.workers`), this process being the supervising primary.
 * Usage: `node <bundle of router-bench-server.ts> <backendOrigin> [node|functions-framework] [workers]`;
 * prints `READY <port>` when listening (every worker, for a cluster).
 */
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { UndiciUpstream } from '../../shared/adapters/http/undici-upstream';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { routerRequestListener, startRouterServer } from '../../shared/adapters/http/node-router-server';
import { runRouterWorker, superviseRouterWorkers } from '../../shared/adapters/http/router-cluster';
import { createRouter, type Router } from '../../shared/usecases/router';

async function serveWithFunctionsFramework(router: Router): Promise<{ port: number; close: () => Promise<void> }> {
  registerHttp('router', routerRequestListener(router));
  const server: Server = getTestServer('router');
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function buildRouter(origin: string): { router: Router; upstream: UndiciUpstream } {
  const upstream = new UndiciUpstream({ connections: 256 });
  const router = createRouter({
    backends: [
      { id: 'web', cloud: 'aws', region: 'us-east-1', url: `${origin}/`, weight: 1, version: 'v1', transport: 'http' },
      { id: 'mcp', cloud: 'aws', region: 'us-east-1', url: `${origin}/mcp`, weight: 1, version: 'v1', transport: 'mcp' },
    ],
    upstream,
    store: new MemoryStateStore(),
    strategy: 'weighted',
    httpPrefixes: ['/'],
    forwardedHeaders: false,
  });
  return { router, upstream };
}

async function main(): Promise<void> {
  const origin = process.argv[2];
  const host = process.argv[3] ?? 'node';
  const workers = Number(process.argv[4] ?? 1);
  if (origin === undefined || (host !== 'node' && host !== 'functions-framework') || !(Number.isInteger(workers) && workers >= 1) || (workers > 1 && host !== 'node')) {
    throw new Error('usage: router-bench-server <backendOrigin> [node|functions-framework] [workers]');
  }
  if (workers > 1 && cluster.isWorker) {
    await runRouterWorker(async () => {
      const { router, upstream } = buildRouter(origin);
      const server = await startRouterServer({ router, port: 0 });
      return { drain: (ms?: number) => server.drain(ms).then(() => upstream.close()) };
    });
    return;
  }
  if (workers > 1) {
    const routers = superviseRouterWorkers({ workers, log: () => undefined });
    const port = await routers.ready;
    process.stdout.write(`READY ${port}\n`);
    const stop = (): void => {
      void routers.stop().then(() => process.exit(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  const { router, upstream } = buildRouter(origin);
  const server = host === 'node' ? await startRouterServer({ router, port: 0 }) : await serveWithFunctionsFramework(router);
  process.stdout.write(`READY ${server.port}\n`);
  const stop = (): void => {
    void server.close().then(() => upstream.close()).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
