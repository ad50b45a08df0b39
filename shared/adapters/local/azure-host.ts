/**
 * Local host for the Azure function app: serves the HTTP functions registered through `registerHttp`
 * (shared/adapters/azure/functions-runtime; `@azure/functions` keeps no readable registry of its own),
 * calling each with a real `HttpRequest` and `InvocationContext`. Import the app's function files first.
 * Like the Functions host: `/<routePrefix>/<route>`, route templates with `{name}` and `{*rest}`, and a
 * bare 404 for anything unregistered. Timers are listed by `azureRegistrations()` but not fired here.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { azureRegistrations, type AzureRegistration } from '../azure/functions-runtime';
import { flatHeaders, listen, readBody, type LocalHostOptions } from './listen';

type HttpRegistration = Extract<AzureRegistration, { kind: 'http' }>;

interface CompiledRoute {
  readonly registration: HttpRegistration;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(registration: HttpRegistration): CompiledRoute {
  const names: string[] = [];
  const prefix = registration.routePrefix.replace(/^\/+|\/+$/g, '');
  const segments = [prefix, ...registration.route.replace(/^\/+|\/+$/g, '').split('/')].filter(Boolean);
  const source = segments
    .map((segment) => {
      const param = /^\{(\*)?([A-Za-z_][\w]*)(?::[^}]*)?\??\}$/.exec(segment);
      if (!param) return `/${escape(segment)}`;
      names.push(param[2]!);
      return param[1] ? '(?:/(.*))?' : '/([^/]+)';
    })
    .join('');
  return { registration, pattern: new RegExp(`^${source || '/'}/?$`, 'i'), names };
}

/**
 * Writes the handler's answer as the worker's HTTP proxy does with `enableHttpStream` (`sendProxyResponse` in
 * @azure/functions): the init becomes an `HttpResponse`, its headers are copied without hop-by-hop ones, and
 * the body is written chunk by chunk as the stream yields it. Like the worker, a client that left is not told
 * to the handler: the rest of the body is read and dropped.
 */
async function sendResponse(res: ServerResponse, init: HttpResponseInit): Promise<void> {
  const response = new HttpResponse(init);
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (!HOP_BY_HOP.has(key)) headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  if (response.body) for await (const chunk of response.body.values()) if (!res.destroyed) res.write(chunk);
  res.end();
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade']);

/** The Functions host would ship these to Application Insights; locally they are stdout lines. */
const logToStdout = (_level: string, ...args: unknown[]): void => {
  process.stdout.write(`${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
};

/** Serves every HTTP function registered so far on `port` (0 = any free port). */
export function serveAzureApp(port: number, options: LocalHostOptions = {}): Promise<Server> {
  const routes = azureRegistrations()
    .filter((r): r is HttpRegistration => r.kind === 'http')
    .map(compile);
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
        const method = (req.method ?? 'GET').toUpperCase();
        let match: { route: CompiledRoute; values: RegExpExecArray } | undefined;
        for (const route of routes) {
          const values = route.pattern.exec(url.pathname);
          if (values && route.registration.methods.includes(method as never)) {
            match = { route, values };
            break;
          }
        }
        if (!match) {
          res.writeHead(404).end();
          return;
        }
        const body = await readBody(req);
        const params: Record<string, string> = {};
        match.route.names.forEach((name, i) => {
          const value = match.values[i + 1];
          if (value !== undefined) params[name] = decodeURIComponent(value);
        });
        const headers = flatHeaders(req);
        if (req.headers.cookie) headers.cookie = req.headers.cookie;
        const request = new HttpRequest({ method, url: url.toString(), headers, params, ...(body.length > 0 ? { body: { bytes: body } } : {}) });
        const context = new InvocationContext({ invocationId: randomUUID(), functionName: match.route.registration.name, logHandler: logToStdout });
        await sendResponse(res, await match.route.registration.handler(request, context));
      } catch {
        // A body that fails after the head is cut, not ended cleanly.
        if (res.headersSent) res.destroy();
        else res.writeHead(500).end();
      }
    })();
  });
  return listen(server, port, options);
}
