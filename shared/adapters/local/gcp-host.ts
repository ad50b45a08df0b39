/**
 * Local host for a Cloud Functions HTTP function: the Functions Framework's own server for a function
 * registered with `http(name, ...)` (import the function file first), listening on loopback.
 */
import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { listen, type LocalHostOptions } from './listen';

export function serveGcpFunction(name: string, port: number, options: LocalHostOptions = {}): Promise<Server> {
  return listen(getTestServer(name), port, options);
}
