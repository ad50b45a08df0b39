/**
 * Local host for a Lambda HTTP handler: each request on a plain node server becomes an API Gateway HTTP API
 * payload 2.0 event (stage `$default`) and a Lambda-like context, and the handler's result is written back.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { flatHeaders, listen, readBody, type LocalHostOptions } from './listen';

export type LocalLambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2 | undefined | void>;

export interface AwsHostOptions extends LocalHostOptions {
  readonly functionName?: string;
  /** The Lambda timeout the context reports; default 10 s. */
  readonly timeoutMs?: number;
}

const TEXTUAL = /^(text\/|application\/(json|.*\+json|xml|.*\+xml|x-www-form-urlencoded|javascript))/i;

export function toApiGatewayEvent(req: IncomingMessage, body: Buffer, now = new Date()): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers = flatHeaders(req);
  const cookieHeader = req.headers.cookie;
  const cookies = cookieHeader ? cookieHeader.split(';').map((c) => c.trim()).filter(Boolean) : undefined;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const textual = TEXTUAL.test(headers['content-type'] ?? 'text/plain');
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

export function lambdaContext(functionName: string, timeoutMs: number, requestId: string = randomUUID()): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Serves one Lambda HTTP handler (e.g. a middy handler from functions/aws) on `port` (0 = any free port). */
export function serveAwsHandler(handler: LocalLambdaHandler, port: number, options: AwsHostOptions = {}): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const event = toApiGatewayEvent(req, await readBody(req));
        const result = await handler(event, lambdaContext(options.functionName ?? 'local', options.timeoutMs ?? 10_000, event.requestContext.requestId));
        if (result === undefined || typeof result === 'string') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(result ?? '');
          return;
        }
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
        if (result.cookies?.length) headers['set-cookie'] = result.cookies;
        const body = result.body ?? '';
        res.writeHead(result.statusCode ?? 200, headers).end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
      } catch {
        // Lambda answers an unhandled handler error through API Gateway as a bare 500.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"message":"Internal Server Error"}');
      }
    })();
  });
  return listen(server, port, options);
}
