/** Shared plumbing of the local hosts: read a request body, listen on loopback. */
import type { IncomingMessage, Server } from 'node:http';

export interface LocalHostOptions {
  /** Interface to bind; loopback unless told otherwise. */
  readonly host?: string;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Starts listening (port 0 picks a free one) and resolves once bound; read the port from `server.address()`. */
export function listen(server: Server, port: number, options: LocalHostOptions = {}): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Node's header record flattened to one string per lower-case name, as the platforms hand them over. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined && k !== 'cookie') headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return headers;
}
