/** Starts an http.Server on a free loopback port for the duration of a test file. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function onLoopback(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { url: baseUrl(server), close: () => close(server) };
}

export const baseUrl = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export function restoreEnv(names: readonly string[]): () => void {
  const saved = new Map(names.map((n) => [n, process.env[n]]));
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
