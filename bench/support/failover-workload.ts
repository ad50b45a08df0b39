/**
 * A steady MCP client workload for the failover benchmark. Each virtual client behaves like an MCP client behind a
 * DNS stub resolver: it resolves the service name to one cloud's router the way Route 53 answers a weighted
 * record set (one record, picked with probability weight / sum of weights; every record equally when all weights
 * are 0), caches that answer for the record's TTL, and sends every request to the cached router. It opens a
 * session with `initialize`, then alternates `tools/list` and `tools/call`; on `404` for its session (the MCP
 * transport's "session gone") it re-initializes and sends the same request once more, as the specification tells
 * clients to. Every request is recorded with where it went and how it ended; `classify` sorts the failures.
 */
import type { Cloud } from '../../infra/local/mesh-lib';

export type Method = 'initialize' | 'tools/list' | 'tools/call';

export type Ending =
  /** A JSON-RPC result. */
  | 'ok'
  /** 404 for the session: the client re-initializes (not a failure; the request is sent again as a new record). */
  | 'session-not-found'
  /** No HTTP answer: connection refused or reset, or the client's timeout. */
  | 'no-answer'
  /** Any other HTTP answer (5xx, a 4xx other than the session's 404, a JSON-RPC error). */
  | 'error-answer';

export interface RequestRecord {
  readonly client: number;
  readonly method: Method;
  /** The router the client's cached DNS answer named. */
  readonly router: Cloud;
  /** When that answer was resolved (the client caches it for the TTL). */
  readonly resolvedAt: number;
  readonly sentAt: number;
  readonly endAt: number;
  readonly ending: Ending;
  readonly status: number | null;
  /** Transport error code (ECONNREFUSED, UND_ERR_SOCKET, TimeoutError...) or the JSON-RPC error message, shortened. */
  readonly detail: string | null;
  /** Backend that answered (from `serverInfo` or the echo text), or that the router's error names. */
  readonly backend: string | null;
  /** Sent again after the session's 404 and a new `initialize`. */
  readonly resent: boolean;
}

export interface WorkloadOptions {
  /** Each cloud's router MCP endpoint. */
  readonly routers: Readonly<Record<Cloud, string>>;
  /** The zone's current weights per cloud (what a resolver querying Route 53 now would get). */
  readonly weights: () => Readonly<Partial<Record<Cloud, number>>> | undefined;
  readonly ttlMs: number;
  readonly clients: number;
  /** Requests per second per client (initialize included). */
  readonly ratePerClient: number;
  /** Client-side limit per request; the same budget minus a margin goes to the router in its deadline header. */
  readonly timeoutMs: number;
  /** Requests per session before the client opens a new one (a fresh session and a fresh resolution). */
  readonly sessionRequests: number;
  readonly random?: () => number;
}

const PROTOCOL = '2025-06-18';
const DEADLINE_MARGIN_MS = 1_000;

/** Route 53's weighted answer: one record, chosen by weight; all equally when every weight is 0. */
export function pickWeighted(weights: Readonly<Partial<Record<Cloud, number>>>, random: () => number): Cloud | undefined {
  const entries = Object.entries(weights).filter((e): e is [Cloud, number] => typeof e[1] === 'number');
  if (entries.length === 0) return undefined;
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  if (total === 0) return entries[Math.floor(random() * entries.length)]?.[0];
  let point = random() * total;
  for (const [cloud, weight] of entries) {
    point -= weight;
    if (point < 0) return cloud;
  }
  return entries[entries.length - 1]?.[0];
}

const short = (text: string): string => text.replace(/\s+/g, ' ').slice(0, 160);

function errorCode(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return err.name;
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (typeof cause?.code === 'string') return cause.code;
    if (typeof cause?.message === 'string') return short(cause.message);
    return short(err.message);
  }
  return short(String(err));
}

/** The backend an answer came from: `serverInfo.name` (initialize), the echo prefix (tools/call), or an error naming it. */
function backendOf(body: unknown): string | null {
  const b = body as { result?: { serverInfo?: { name?: unknown }; content?: { text?: unknown }[] }; error?: { message?: unknown } } | null;
  const name = b?.result?.serverInfo?.name;
  if (typeof name === 'string') return name;
  const text = b?.result?.content?.[0]?.text;
  if (typeof text === 'string') return /^([\w-]+):/.exec(text)?.[1] ?? null;
  const message = b?.error?.message;
  if (typeof message === 'string') return /[Bb]ackend ([\w-]+)/.exec(message)?.[1] ?? null;
  return null;
}

interface Answer {
  readonly cloud: Cloud;
  readonly resolvedAt: number;
}

class Client {
  private answer: Answer | undefined;
  private session: string | undefined;
  private sessionLeft = 0;
  private nextId = 1;
  private turn = 0;

  constructor(
    private readonly index: number,
    private readonly options: WorkloadOptions,
    private readonly record: (r: RequestRecord) => void,
    private readonly random: () => number,
  ) {}

  private resolve(now: number): Answer | undefined {
    if (this.answer && now - this.answer.resolvedAt < this.options.ttlMs) return this.answer;
    const cloud = pickWeighted(this.options.weights() ?? {}, this.random);
    this.answer = cloud === undefined ? undefined : { cloud, resolvedAt: now };
    return this.answer;
  }

  /** One logical step: a request of the session (opening one first when needed), and the resend after a 404. */
  async step(): Promise<void> {
    if (this.session === undefined || this.sessionLeft <= 0) {
      this.session = undefined;
      if (!(await this.initialize())) return;
    }
    const method: Method = this.turn++ % 2 === 0 ? 'tools/list' : 'tools/call';
    const ending = await this.send(method, false);
    if (ending !== 'session-not-found') return;
    this.session = undefined;
    if (await this.initialize()) await this.send(method, true);
  }

  private async initialize(): Promise<boolean> {
    this.sessionLeft = this.options.sessionRequests;
    return (await this.send('initialize', false)) === 'ok';
  }

  private async send(method: Method, resent: boolean): Promise<Ending> {
    const sentAt = Date.now();
    const answer = this.resolve(sentAt);
    if (answer === undefined) return 'no-answer'; // no zone read yet: nothing sent, nothing recorded
    const id = this.nextId++;
    const params =
      method === 'initialize'
        ? { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: `failover-client-${this.index}`, version: '1.0.0' } }
        : method === 'tools/call'
          ? { name: 'echo', arguments: { text: `client ${this.index} request ${id}` } }
          : {};
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-meshgate-timeout-ms': String(this.options.timeoutMs - DEADLINE_MARGIN_MS),
    };
    if (method !== 'initialize' && this.session !== undefined) {
      headers['mcp-session-id'] = this.session;
      headers['mcp-protocol-version'] = PROTOCOL;
    }
    let ending: Ending = 'no-answer';
    let status: number | null = null;
    let detail: string | null = null;
    let backend: string | null = null;
    try {
      const response = await fetch(this.options.routers[answer.cloud], {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = response.status;
      const text = await response.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        detail = short(text);
      }
      backend = backendOf(body);
      const rpcError = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      if (typeof rpcError?.message === 'string') detail = short(rpcError.message);
      if (status === 200 && rpcError === undefined && body !== null) ending = 'ok';
      else if (status === 404 && method !== 'initialize' && rpcError?.code === -32001) ending = 'session-not-found';
      else ending = 'error-answer';
      if (ending === 'ok' && method === 'initialize') this.session = response.headers.get('mcp-session-id') ?? undefined;
    } catch (err) {
      detail = errorCode(err);
    }
    if (method !== 'initialize') this.sessionLeft -= 1;
    this.record({ client: this.index, method, router: answer.cloud, resolvedAt: answer.resolvedAt, sentAt, endAt: Date.now(), ending, status, detail, backend, resent });
    return ending;
  }
}

/** Runs the clients until `stop()`; each paces itself to `ratePerClient`, starting at a random offset. */
export class Workload {
  readonly records: RequestRecord[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const random = this.options.random ?? Math.random;
    const periodMs = 1000 / this.options.ratePerClient;
    this.loops = Array.from({ length: this.options.clients }, (_, index) => {
      const client = new Client(index, this.options, (r) => this.records.push(r), random);
      return (async () => {
        await sleep(random() * periodMs);
        let next = Date.now();
        while (this.running) {
          await client.step();
          next += periodMs;
          const wait = next - Date.now();
          if (wait > 0) await sleep(wait);
          else next = Date.now(); // fell behind (a slow answer): don't burst to catch up
        }
      })();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- classification ----

/** A time a cloud's process group was not serving: killed until restarted (ready), or paused until resumed. */
export interface Outage {
  readonly cloud: Cloud;
  readonly from: number;
  to: number;
  /** First zone read after `from` that showed the cloud's weight at 0, if any (while the outage lasted). */
  dnsMovedAt: number | null;
}

export interface Tally {
  sent: number;
  succeeded: number;
  /** 404s for a session whose backend was gone; each was followed by `initialize` and one resend. */
  sessionResets: number;
  failed: number;
  /** (a) Failed although resending could not have repeated an action: nothing reached a live backend that could have acted, or the method is idempotent. Must be 0. */
  lostRetryable: number;
  /** Part of (a): an idempotent request (initialize, tools/list) the router had sent to a backend that then died or froze, answered 502/504. */
  lostAtDeadBackend: number;
  /** (b) `tools/call` that reached a backend which then died or froze: not safe to resend, reported to the client. */
  nonIdempotentReachedDeadBackend: number;
  /** (c) Sent to a router whose cloud was down, on a DNS answer resolved before the zone dropped that cloud. */
  requestsToDeadRouterBeforeDnsMoved: number;
  /** Sent to a dead cloud's router on an answer resolved after the zone had dropped it (only possible if the zone still gave it weight). */
  requestsToDeadRouterAfterDnsMoved: number;
  /** Every (a) request, for the report. */
  lost: string[];
  /** Every (b) request, for the report. */
  atDeadBackend: string[];
  byMethod: Record<Method, number>;
}

export const emptyTally = (): Tally => ({
  sent: 0,
  succeeded: 0,
  sessionResets: 0,
  failed: 0,
  lostRetryable: 0,
  lostAtDeadBackend: 0,
  nonIdempotentReachedDeadBackend: 0,
  requestsToDeadRouterBeforeDnsMoved: 0,
  requestsToDeadRouterAfterDnsMoved: 0,
  lost: [],
  atDeadBackend: [],
  byMethod: { initialize: 0, 'tools/list': 0, 'tools/call': 0 },
});

const overlapping = (outages: readonly Outage[], cloud: Cloud, from: number, to: number): Outage | undefined =>
  outages.find((o) => o.cloud === cloud && o.from <= to && o.to >= from);

const backendCloud = (backend: string | null): Cloud | undefined => {
  const match = /^(aws|azure|gcp)-/.exec(backend ?? '');
  return match ? (match[1] as Cloud) : undefined;
};

export type RequestClass = 'succeeded' | 'session-reset' | 'lost-retryable' | 'non-idempotent-at-dead-backend' | 'dead-router-before-dns-moved' | 'dead-router-after-dns-moved';

/** Which class a request falls in (docs/failover.md, "Requests through the routers"), and the outage it met. */
export function classOf(r: RequestRecord, outages: readonly Outage[]): { kind: RequestClass; outage?: Outage } {
  if (r.ending === 'ok') return { kind: 'succeeded' };
  if (r.ending === 'session-not-found') return { kind: 'session-reset' };
  const deadRouter = overlapping(outages, r.router, r.sentAt, r.endAt);
  if (deadRouter) {
    const before = deadRouter.dnsMovedAt === null || r.resolvedAt < deadRouter.dnsMovedAt;
    return { kind: before ? 'dead-router-before-dns-moved' : 'dead-router-after-dns-moved', outage: deadRouter };
  }
  const target = backendCloud(r.backend);
  const deadBackend = target === undefined ? undefined : overlapping(outages, target, r.sentAt, r.endAt);
  if (deadBackend && r.method === 'tools/call' && (r.status === 502 || r.status === 504)) return { kind: 'non-idempotent-at-dead-backend', outage: deadBackend };
  return deadBackend ? { kind: 'lost-retryable', outage: deadBackend } : { kind: 'lost-retryable' };
}

export const describeRequest = (r: RequestRecord): string =>
  `${new Date(r.sentAt).toISOString()} ${r.method} via ${r.router} router -> ${r.ending} ${r.status ?? ''} ${r.detail ?? ''}${r.backend ? ` (backend ${r.backend})` : ''}${r.resent ? ' [resend]' : ''}`.replace(/\s+/g, ' ');

/** Adds one request of class `kind` to a tally. */
export function count(tally: Tally, r: RequestRecord, kind: RequestClass, outage?: Outage): void {
  tally.sent += 1;
  tally.byMethod[r.method] += 1;
  if (kind === 'succeeded') return void (tally.succeeded += 1);
  if (kind === 'session-reset') return void (tally.sessionResets += 1);
  tally.failed += 1;
  if (kind === 'dead-router-before-dns-moved') tally.requestsToDeadRouterBeforeDnsMoved += 1;
  else if (kind === 'dead-router-after-dns-moved') tally.requestsToDeadRouterAfterDnsMoved += 1;
  else if (kind === 'non-idempotent-at-dead-backend') {
    tally.nonIdempotentReachedDeadBackend += 1;
    tally.atDeadBackend.push(describeRequest(r));
  } else {
    tally.lostRetryable += 1;
    if (outage) tally.lostAtDeadBackend += 1;
    tally.lost.push(describeRequest(r));
  }
}
