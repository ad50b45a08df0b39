/**
 * Route 53 weighted records as a {@link DnsProvider}.
 *
 * One `apply` is one ChangeResourceRecordSets batch, which Route 53 applies all-or-nothing. The fence travels in
 * the same batch: DELETE `_meshgate-term.<zone>` TXT `"term=<expected>"`, CREATE `"term=<term>"`; Route 53
 * rejects the whole batch (InvalidChangeBatch) when the zone holds another term, so a stale leader changes nothing.
 * Updates are DELETE old + CREATE new by default (the batch fails if the record drifted since it was read);
 * `updateMode: 'upsert'` sends UPSERT instead. Batches are validated here before sending, because emulators accept
 * what Route 53 rejects. Each call is one request (route53-rest-api.ts, no SDK): retries belong to the `withRetry`
 * decorator.
 *
 * Records with an alias target or another routing policy (latency, failover, geo...) are not ours and are skipped.
 */
import { MeshgateError, type ErrorCode } from '../../core/errors';
import {
  ROUTE53_LIMITS,
  canonicalizeRecords,
  compareRecords,
  fenceRecordName,
  fenceTermOf,
  normaliseFqdn,
  recordKey,
  toWriteOps,
  validateChangeSet,
  type DnsLimits,
  type UpdateMode,
  type WriteOp,
} from '../../core/dns-plan';
import type { Outcome } from '../../core/outcome';
import { quoteTxtIn, unquoteTxtIn } from '../_base/dns-txt';
import { outcomeOfError } from '../http/rest-call';
import type { Clock } from '../../ports/clock';
import type { AppliedChange, ChangeSet, DnsProvider, DnsRecord, DnsRecordType, Fence } from '../../ports/dns-provider';
import {
  Route53RestApi,
  Route53NetworkError,
  Route53RestError,
  credentialsProvider,
  type AwsCredentials,
  type AwsCredentialsProvider,
  type ListResourceRecordSetsOutput,
  type Route53Api,
  type Route53Change,
  type Route53ResourceRecordSet,
} from './route53-rest-api';

export type { Route53Api } from './route53-rest-api';

export interface Route53DnsProviderOptions {
  /** Hosted zone id, with or without the `/hostedzone/` prefix. */
  readonly hostedZoneId: string;
  /** Zone apex, e.g. `example.com`; the fence record is `_meshgate-term.<zoneName>`. */
  readonly zoneName: string;
  readonly name?: string;
  /** Default: {@link ROUTE53_LIMITS} (weights 0-255, TTL floor 5 s, 1000 changes per batch). */
  readonly limits?: DnsLimits;
  /** Default `replace`. */
  readonly updateMode?: UpdateMode;
  /** Retry hint for throttling and PriorRequestNotComplete (Route 53 allows ~5 requests/s per account). Default 1000 ms. */
  readonly throttleRetryMs?: number;
  /** Retry hint for 5xx and network errors. Default 500 ms. */
  readonly unavailableRetryMs?: number;
  /** Used by `waitForInsync` only. Default: the real clock. */
  readonly clock?: Pick<Clock, 'now' | 'sleep'>;
}

export interface Route53ClientConfig extends Omit<Route53DnsProviderOptions, 'clock'> {
  /** Signing region: Route 53 is global and signs for us-east-1 (the default). */
  readonly region?: string;
  /** Custom endpoint (an emulator); default `https://route53.amazonaws.com`. */
  readonly endpoint?: string;
  /**
   * Static credentials, or a provider called per request (the composition passes the Lambda environment's when
   * none are configured, as for DynamoDB).
   */
  readonly credentials: AwsCredentials | AwsCredentialsProvider;
  /** Deadline per Route 53 request in ms (default 10 000). */
  readonly timeoutMs?: number;
}

const SUPPORTED_TYPES: ReadonlySet<string> = new Set<DnsRecordType>(['A', 'AAAA', 'CNAME', 'TXT']);
const OTHER_ROUTING: readonly (keyof Route53ResourceRecordSet)[] = [
  'Region',
  'Failover',
  'GeoLocation',
  'MultiValueAnswer',
  'CidrRoutingConfig',
  'GeoProximityLocation',
];
const realClock: Pick<Clock, 'now' | 'sleep'> = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class Route53DnsProvider implements DnsProvider {
  readonly name: string;
  private readonly zoneId: string;
  private readonly zone: string;
  private readonly limits: DnsLimits;
  private readonly updateMode: UpdateMode;
  private readonly throttleRetryMs: number;
  private readonly unavailableRetryMs: number;
  private readonly clock: Pick<Clock, 'now' | 'sleep'>;

  constructor(
    private readonly api: Route53Api,
    options: Route53DnsProviderOptions,
  ) {
    this.zoneId = options.hostedZoneId.replace(/^\/?hostedzone\//, '');
    if (this.zoneId === '') throw new MeshgateError('validation', 'route53: hostedZoneId is empty');
    this.zone = normaliseFqdn(options.zoneName);
    this.name = options.name ?? 'route53';
    this.limits = options.limits ?? ROUTE53_LIMITS;
    this.updateMode = options.updateMode ?? 'replace';
    this.throttleRetryMs = options.throttleRetryMs ?? 1_000;
    this.unavailableRetryMs = options.unavailableRetryMs ?? 500;
    this.clock = options.clock ?? realClock;
  }

  async records(fqdn: string): Promise<DnsRecord[]> {
    const name = normaliseFqdn(fqdn);
    if (name === fenceRecordName(this.zone)) return [];
    return this.listNamed(name);
  }

  async currentTerm(): Promise<number> {
    const fence = (await this.listNamed(fenceRecordName(this.zone))).find((r) => r.type === 'TXT' && r.setId === '');
    return fenceTermOf(fence);
  }

  async apply(changes: ChangeSet, fence?: Fence): Promise<Outcome<AppliedChange>> {
    let ops: WriteOp[];
    try {
      ops = toWriteOps(changes, this.zone, this.updateMode, fence);
    } catch (err) {
      return { status: 'failure', error: err instanceof MeshgateError ? err : new MeshgateError('validation', String(err)) };
    }
    const problems = validateChangeSet(changes, this.limits, { reservedNames: [fenceRecordName(this.zone)], providerChanges: ops.length });
    if (problems.length > 0) {
      return { status: 'failure', error: new MeshgateError('validation', `route53: ${problems.join('; ')}`, { details: { problems } }) };
    }
    if (ops.length === 0) return { status: 'success', value: { changeCount: 0 } };
    const Changes: Route53Change[] = ops.map((op) => ({ Action: op.action, ResourceRecordSet: toRecordSet(op.record) }));
    try {
      const out = await this.api.changeResourceRecordSets({
        HostedZoneId: this.zoneId,
        ChangeBatch: { Comment: fence ? `meshgate term ${fence.term}` : 'meshgate', Changes },
      });
      const changeId = out.ChangeInfo?.Id;
      return { status: 'success', value: changeId === undefined ? { changeCount: ops.length } : { changeId, changeCount: ops.length } };
    } catch (err) {
      return this.classify(err, 'ChangeResourceRecordSets');
    }
  }

  canonicalize(records: readonly DnsRecord[]): DnsRecord[] {
    return canonicalizeRecords(records, this.limits);
  }

  /**
   * Polls GetChange until the change is INSYNC (propagated to all Route 53 name servers). `retryable` with code
   * `timeout` when still PENDING after `timeoutMs`; other errors as for `apply`.
   */
  async waitForInsync(changeId: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<Outcome<{ status: 'INSYNC' }>> {
    const deadline = this.clock.now() + (options.timeoutMs ?? 60_000);
    const interval = options.intervalMs ?? 2_000;
    for (;;) {
      try {
        const out = await this.api.getChange({ Id: changeId });
        if (out.ChangeInfo?.Status === 'INSYNC') return { status: 'success', value: { status: 'INSYNC' } };
      } catch (err) {
        const outcome = this.classify(err, 'GetChange');
        if (outcome.status === 'failure') return outcome;
      }
      if (this.clock.now() + interval > deadline) {
        return { status: 'retryable', error: new MeshgateError('timeout', `route53: change ${changeId} not INSYNC yet`), retryInMs: interval };
      }
      await this.clock.sleep(interval);
    }
  }

  /** Records named exactly `name` (normalised), all pages, deduplicated, sorted. */
  private async listNamed(name: string): Promise<DnsRecord[]> {
    const found = new Map<string, DnsRecord>();
    let start: { name: string; type?: string | undefined; id?: string | undefined } | undefined = { name };
    try {
      while (start) {
        const page: ListResourceRecordSetsOutput = await this.api.listResourceRecordSets({
          HostedZoneId: this.zoneId,
          StartRecordName: start.name,
          ...(start.type ? { StartRecordType: start.type } : {}),
          ...(start.id ? { StartRecordIdentifier: start.id } : {}),
        });
        let passed = false;
        for (const set of page.ResourceRecordSets ?? []) {
          if (normaliseFqdn(unescapeName(set.Name ?? '')) !== name) {
            // Route 53 lists in its name order starting at StartRecordName: another name means we are past ours.
            passed = true;
            break;
          }
          const record = fromRecordSet(set);
          if (record) found.set(recordKey(record), record);
        }
        const next = page.NextRecordName;
        start = page.IsTruncated && next && !passed ? { name: next, type: page.NextRecordType, id: page.NextRecordIdentifier } : undefined;
      }
    } catch (err) {
      throw this.toError(err, 'ListResourceRecordSets');
    }
    return [...found.values()].sort(compareRecords);
  }

  /** toError reads no Retry-After hint, so a retryable error waits the default delay for its code. */
  private classify(err: unknown, operation: string): Outcome<never> {
    return outcomeOfError(this.toError(err, operation), { throttleRetryMs: this.throttleRetryMs, unavailableRetryMs: this.unavailableRetryMs });
  }

  /**
   * Maps a Route 53 error answer ({@link Route53RestError}) or a network error onto a MeshgateError. The REST
   * client keeps secrets out of its messages; network errors carry none.
   */
  private toError(err: unknown, operation: string): MeshgateError {
    const rest = err instanceof Route53RestError ? err : undefined;
    const name = rest?.name ?? (err instanceof Error ? err.name : 'Error');
    const status = rest && rest.status > 0 ? rest.status : undefined;
    const detail = rest && rest.messages.length > 0 ? rest.messages.join('; ') : err instanceof Error ? err.message : name;
    const make = (code: ErrorCode, retryable?: boolean): MeshgateError =>
      new MeshgateError(code, `route53 ${operation}: ${name}: ${detail}`, {
        cause: err,
        ...(retryable === undefined ? {} : { retryable }),
        details: { operation, zoneId: this.zoneId, awsError: name, ...(status === undefined ? {} : { status }) },
      });
    switch (name) {
      case 'InvalidChangeBatch':
        return make('conflict');
      case 'InvalidInput':
      case 'InvalidArgument':
      case 'ValidationException':
        return make('validation');
      case 'NoSuchHostedZone':
      case 'NoSuchChange':
        return make('not_found');
      case 'Throttling':
      case 'ThrottlingException':
      case 'TooManyRequestsException':
      case 'PriorRequestNotComplete':
        return make('throttled', true);
      case 'AccessDenied':
      case 'AccessDeniedException':
      case 'InvalidClientTokenId':
      case 'UnrecognizedClientException':
      case 'SignatureDoesNotMatch':
      case 'ExpiredToken':
      case 'ExpiredTokenException':
      case 'IncompleteSignature':
      case 'MissingAuthenticationToken':
      case 'InvalidSignatureException':
      case 'CredentialsError':
        return make('unauthorized');
      default:
        break;
    }
    if (status === 429) return make('throttled', true);
    if (status !== undefined && status >= 500) return make('unavailable', true);
    if (status === 403) return make('unauthorized');
    if (err instanceof Route53NetworkError) {
      const network = networkCause(err.cause);
      return make(err.timedOut || network === 'TimeoutError' || network === 'ETIMEDOUT' ? 'timeout' : 'unavailable', true);
    }
    if (status === undefined) {
      const network = networkCause(err);
      if (network) return make(network === 'TimeoutError' || network === 'ETIMEDOUT' ? 'timeout' : 'unavailable', true);
    }
    return make('internal');
  }
}

/** Builds the provider on the REST client (one attempt per call: the retry decorator retries). */
export function createRoute53DnsProvider(config: Route53ClientConfig): Route53DnsProvider {
  const api = new Route53RestApi({
    credentials: credentialsProvider(config.credentials),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.region ? { region: config.region } : {}),
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
  });
  return new Route53DnsProvider(api, config);
}

/**
 * The network error code (ECONNREFUSED, ECONNRESET, ETIMEDOUT...) or timeout name behind an error, if any.
 * fetch wraps the socket error (`TypeError: fetch failed`, the socket error as `cause`), so the cause chain is searched.
 */
function networkCause(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const c = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof c.code === 'string' && /^E[A-Z_]+$/.test(c.code)) return c.code;
    if (c.name === 'TimeoutError' || c.name === 'AbortError') return c.name;
    const fromMessage = typeof c.message === 'string' ? /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|EADDRNOTAVAIL)\b/.exec(c.message) : null;
    if (fromMessage?.[1]) return fromMessage[1];
    current = c.cause ?? c.errors?.[0];
  }
  return undefined;
}

function toRecordSet(r: DnsRecord): Route53ResourceRecordSet {
  const values = r.type === 'TXT' ? r.values.map(quoteTxt) : [...r.values];
  return {
    Name: normaliseFqdn(r.fqdn),
    Type: r.type,
    ...(r.setId !== '' ? { SetIdentifier: r.setId } : {}),
    ...(r.weight !== undefined ? { Weight: r.weight } : {}),
    TTL: r.ttl,
    ResourceRecords: values.map((Value) => ({ Value })),
  };
}

function fromRecordSet(set: Route53ResourceRecordSet): DnsRecord | undefined {
  if (!set.Type || !SUPPORTED_TYPES.has(set.Type) || set.AliasTarget || !set.ResourceRecords) return undefined;
  if (OTHER_ROUTING.some((field) => set[field] !== undefined)) return undefined;
  const type = set.Type as DnsRecordType;
  const raw = set.ResourceRecords.map((rr) => rr.Value ?? '');
  const values = [...new Set(type === 'TXT' ? raw.map(unquoteTxt) : raw)].sort();
  return {
    fqdn: normaliseFqdn(unescapeName(set.Name ?? '')),
    type,
    setId: set.SetIdentifier ?? '',
    ...(set.Weight !== undefined ? { weight: set.Weight } : {}),
    ttl: set.TTL ?? 0,
    values,
  };
}

/** Route 53 returns some characters of names as octal escapes (`\052` for `*`). */
const unescapeName = (name: string): string => name.replace(/\\(\d{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** TXT text → Route 53 value: quoted strings of at most 255 bytes, `\ddd` octal escapes (as Route 53 itself returns them). */
export const quoteTxt = (text: string): string => quoteTxtIn(text, 8);

/** Route 53 TXT value (one or more quoted strings, `\ddd` octal escapes) → text. Unquoted values are returned as they are. */
export const unquoteTxt = (value: string): string => unquoteTxtIn(value, 8);
