/**
 * Child process of bench/router.bench.ts: the meshgate router's Node server in front of one plain HTTP backend
 * (`/` and everything else) and the same backend's MCP endpoint (`/mcp`). Usage:
 * `node <bundle of router-bench-server.ts> <backendOrigin>`; prints `READY <port>` when listening.
 */
import { UndiciUpstream } from '../../shared/adapters/http/undici-upstream';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { startRouterServer } from '../../shared/adapters/http/node-router-server';
import { createRouter } from '../../shared/usecases/router';

async function main(): Promise<void> {
  const origin = process.argv[2];
  if (origin === undefined) throw new Error('usage: router-bench-server <backendOrigin>');
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
  const server = await startRouterServer({ router, port: 0 });
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
