/**
 * A router `ResponseSink` for runtimes that want the status and headers as a return value and the body as a
 * stream they read: Lambda under middy's `streamifyResponse` (`{statusCode, headers, body}`) and Azure Functions
 * with `enableHttpStream` (`HttpResponseInit` with a `Readable` body). `head` resolves at `writeHead`; `body`
 * carries every chunk as a Buffer, with backpressure (`write` returns false until the runtime reads on).
 *
 * With `writeEmptyBody`, a response with no body still yields one empty chunk (the body is an object-mode
 * stream so it survives): Lambda needs a write to send the HTTP prelude at all (a streamed response that never
 * writes hangs the Function URL; aws-lambda-nodejs-runtime-interface-client issue #95). Azure must not get it:
 * its worker reads the body through a web stream that stalls on an empty chunk.
 */
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { ResponseSink } from '../usecases/router';

export interface ResponseHead {
  readonly status: number;
  /** Flat `[name, value, ...]` as the router wrote them. */
  readonly headers: readonly string[];
}

export class ReadableSink implements ResponseSink {
  readonly body: Readable;
  readonly head: Promise<ResponseHead>;
  private resolveHead!: (head: ResponseHead) => void;
  private readonly events = new EventEmitter();
  private wrote = false;

  constructor(private readonly options: { readonly writeEmptyBody?: boolean } = {}) {
    this.head = new Promise((resolve) => (this.resolveHead = resolve));
    this.body = new Readable({ objectMode: true, highWaterMark: 16, read: () => this.events.emit('drain') });
    this.body.once('close', () => this.events.emit('close'));
    // Whoever reads the body (a pipeline, the runtime's iterator) sees the error; this keeps an unread one from crashing.
    this.body.on('error', () => undefined);
  }

  writeHead(status: number, headers: string[]): this {
    this.resolveHead({ status, headers });
    return this;
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.body.destroyed) return false;
    this.wrote = true;
    return this.body.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }

  end(chunk?: Uint8Array | string): this {
    if (this.body.destroyed) return this;
    if (chunk !== undefined && chunk.length > 0) this.write(chunk);
    if (!this.wrote && this.options.writeEmptyBody === true) this.body.push(Buffer.alloc(0));
    this.body.push(null);
    return this;
  }

  once(event: 'drain' | 'close', listener: () => void): this {
    this.events.once(event, listener);
    return this;
  }

  /** Cuts the body: the runtime sees a stream error and the client a truncated response. */
  destroy(): this {
    this.body.destroy(new Error('response cut: the backend stream failed or the deadline passed'));
    return this;
  }
}

/** Flat `[name, value, ...]` to `[name, value]` pairs. */
export function headerPairs(flat: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as string, flat[i + 1] as string]);
  return pairs;
}
