/**
 * A local stand-in for Lambda response streaming behind a Function URL (`InvokeMode: RESPONSE_STREAM`), so the
 * streaming entry point runs outside Lambda (tests, the cold-start benchmark, the local mesh).
 *
 * It follows the AWS Lambda Developer Guide, "Response streaming for Lambda functions" and "Writing response
 * streaming-enabled Lambda functions" (the `awslambda` global, `streamifyResponse(handler)` and a writable
 * `responseStream`), and the Node.js runtime interface client's HTTP integration format that
 * `awslambda.HttpResponseStream.from(stream, prelude)` produces: content type
 * `application/vnd.awslambda.http-integration-response`, then the JSON prelude (`statusCode`, `headers`,
 * `cookies`), then 8 NUL bytes, then the body. The prelude is written just before the stream's first write, so a
 * handler that never writes sends no head (on Lambda the Function URL then hangs; here the client gets 502).
 * A handler error answers 502 before the head (as a Function URL does) and cuts the stream after it.
 */
import { createServer, type ServerResponse, type Server } from 'node:http';
import { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';
import { lambdaContext, toApiGatewayEvent, type AwsHostOptions } from './aws-host';
import { listen, readBody } from './listen';

export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
export const STREAM_RESPONSE = 'response';
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER_LEN = 8;

type Write = (chunk: string | Uint8Array) => void;

/** The `responseStream` a streaming handler receives. */
export interface LambdaResponseStream extends Writable {
  setContentType(contentType: string): void;
  _onBeforeFirstWrite?: (write: Write) => void;
}

export type StreamingHandler = ((event: unknown, responseStream: LambdaResponseStream, context: Context) => Promise<unknown>) & {
  [HANDLER_STREAMING]?: string;
  [HANDLER_HIGHWATERMARK]?: number;
};

function streamifyResponse<T extends object>(handler: T, options?: { highWaterMark?: number }): T {
  const marked = handler as T & { [HANDLER_STREAMING]?: string; [HANDLER_HIGHWATERMARK]?: number };
  marked[HANDLER_STREAMING] = STREAM_RESPONSE;
  if (options?.highWaterMark !== undefined) marked[HANDLER_HIGHWATERMARK] = options.highWaterMark;
  return handler;
}

const HttpResponseStream = {
  from(stream: LambdaResponseStream, prelude: Record<string, unknown>): LambdaResponseStream {
    stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const json = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(json);
      write(new Uint8Array(DELIMITER_LEN));
    };
    return stream;
  },
};

/**
 * Defines the streaming members of the `awslambda` global the Node.js runtime provides, where missing (on Lambda
 * they always exist). Other libraries may have created the object already (the AWS SDK's invoke store does).
 */
export function installLambdaStreamingGlobals(): void {
  const scope = globalThis as { awslambda?: Record<string, unknown> };
  const lambda = (scope.awslambda ??= {});
  lambda.streamifyResponse ??= streamifyResponse;
  lambda.HttpResponseStream ??= HttpResponseStream;
}

/**
 * What the Function URL makes of the invocation's byte stream: with the HTTP integration content type, the
 * prelude becomes the status and headers; otherwise the bytes are the body of a 200 with that content type.
 */
class FunctionUrlResponse {
  private pending: Buffer | undefined = Buffer.alloc(0);

  constructor(
    private readonly res: ServerResponse,
    private readonly contentType: () => string | undefined,
  ) {}

  get started(): boolean {
    return this.pending === undefined;
  }

  /** Returns false when the client is not keeping up. */
  write(chunk: Buffer): boolean {
    if (this.pending === undefined) return chunk.length === 0 || this.res.write(chunk);
    if (this.contentType() !== HTTP_INTEGRATION_CONTENT_TYPE) {
      this.pending = undefined;
      this.res.writeHead(200, { 'content-type': this.contentType() ?? 'application/octet-stream' });
      return this.write(chunk);
    }
    const buffered = Buffer.concat([this.pending, chunk]);
    const end = buffered.indexOf(Buffer.alloc(DELIMITER_LEN));
    if (end < 0) {
      this.pending = buffered;
      return true;
    }
    this.pending = undefined;
    const prelude = JSON.parse(buffered.subarray(0, end).toString('utf8')) as { statusCode?: number; headers?: Record<string, string>; cookies?: string[] };
    const headers: Record<string, string | string[]> = { ...prelude.headers };
    if (prelude.cookies?.length) headers['set-cookie'] = prelude.cookies;
    this.res.writeHead(prelude.statusCode ?? 200, headers);
    return this.write(buffered.subarray(end + DELIMITER_LEN));
  }
}

function failed(res: ServerResponse): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(502, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
}

/** The runtime's response stream for one invocation, writing through the Function URL to `res`. */
export function createResponseStream(res: ServerResponse, highWaterMark?: number): LambdaResponseStream {
  let contentType: string | undefined;
  let first = true;
  const url = new FunctionUrlResponse(res, () => contentType);
  const send = (chunk: string | Uint8Array, done: (err?: Error) => void): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (url.write(bytes) || res.destroyed) done();
    else res.once('drain', () => done());
  };
  const stream = new Writable({
    ...(highWaterMark === undefined ? {} : { highWaterMark }),
    write(chunk: Buffer, _encoding, done) {
      if (first) {
        first = false;
        stream._onBeforeFirstWrite?.((bytes) => send(bytes, () => undefined));
      }
      send(chunk, done);
    },
    final(done) {
      if (url.started) res.end();
      else failed(res);
      done();
    },
  }) as LambdaResponseStream;
  stream.setContentType = (type) => {
    contentType = type;
  };
  res.once('close', () => {
    if (!res.writableFinished) stream.destroy(new Error('the client closed the connection'));
  });
  return stream;
}

/**
 * Serves a streaming Lambda handler (one wrapped by `awslambda.streamifyResponse`, e.g. a middy handler with
 * `streamifyResponse: true`) as a Function URL on `port` (0 = any free port). Call
 * {@link installLambdaStreamingGlobals} before importing the handler's module.
 */
export function serveStreamingLambda(handler: StreamingHandler, port: number, options: AwsHostOptions = {}): Promise<Server> {
  if (handler[HANDLER_STREAMING] !== STREAM_RESPONSE) {
    throw new Error('handler is not wrapped with awslambda.streamifyResponse: a RESPONSE_STREAM Function URL cannot stream it');
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const server = createServer((req, res) => {
    void (async () => {
      const event = toApiGatewayEvent(req, await readBody(req));
      const stream = createResponseStream(res, handler[HANDLER_HIGHWATERMARK]);
      // Lambda ends the invocation at its timeout, whatever the stream is doing.
      const timer = setTimeout(() => stream.destroy(new Error('Task timed out')), timeoutMs);
      res.once('close', () => clearTimeout(timer));
      stream.once('error', () => failed(res));
      try {
        await handler(event, stream, lambdaContext(options.functionName ?? 'local', timeoutMs, event.requestContext.requestId));
      } catch {
        failed(res);
      }
    })();
  });
  return listen(server, port, options);
}
