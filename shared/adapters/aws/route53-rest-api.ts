/**
 * The three Route 53 calls the DNS provider makes, over Route 53's REST/XML API (2013-04-01) on the runtime's
 * global `fetch` (one bounded call per request through rest-call.ts, redirects not followed), signed with AWS
 * Signature Version 4 (sigv4.ts; service `route53`, region `us-east-1`):
 * none of @aws-sdk/client-route-53 (@smithy/core, XML builder/parser packages) in the bundle or in module init.
 * API reference: https://docs.aws.amazon.com/Route53/latest/APIReference/
 *
 * - ListResourceRecordSets: `GET /2013-04-01/hostedzone/{Id}/rrset?name=&type=&identifier=`;
 * - ChangeResourceRecordSets: `POST /2013-04-01/hostedzone/{Id}/rrset/` with a `ChangeResourceRecordSetsRequest`
 *   body (xmlns `https://route53.amazonaws.com/doc/2013-04-01/`);
 * - GetChange: `GET /2013-04-01/change/{Id}`.
 * Ids are accepted with or without their `/hostedzone/` or `/change/` prefix. Inputs and outputs keep the API's
 * member names (`HostedZoneId`, `ChangeBatch`, `ResourceRecordSets`, `IsTruncated`, `NextRecordName`...).
 *
 * A non-2xx answer rejects with {@link Route53RestError}: its `name` is the service's error code (`ErrorResponse/
 * Error/Code`, or `InvalidChangeBatch` for that error's own root element, whose `Messages/Message` become
 * `messages`), `status` the HTTP status. Service messages are cut to their first line, truncated, and cleared of
 * the secret access key and session token (signature errors echo the canonical request). Network failures and
 * the per-request deadline (abort) reject with {@link Route53NetworkError} (fetch's error as `cause`). Unresolvable credentials reject with
 * {@link Route53RestError} `CredentialsError` (status 0).
 */
import { fetchRestSend, redact, type RestRequest, type RestResponse } from '../http/rest-call';
import { encodeRfc3986, signRequest, type AwsCredentials, type AwsCredentialsProvider } from './sigv4';

export type { AwsCredentials, AwsCredentialsProvider } from './sigv4';

export const ROUTE53_XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const API_VERSION = '2013-04-01';
/** Longest service message kept in an error. */
const MAX_MESSAGE_LENGTH = 300;
/** Largest answer read (a ListResourceRecordSets page of 300 records is well under 1 MB). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

// ---- the narrow API --------------------------------------------------------------------------------------------

export interface Route53ResourceRecord {
  readonly Value?: string;
}

export interface Route53AliasTarget {
  readonly HostedZoneId?: string;
  readonly DNSName?: string;
  readonly EvaluateTargetHealth?: boolean;
}

/**
 * A resource record set. Routing-policy members this adapter does not write (`Region`, `Failover`, `GeoLocation`,
 * `MultiValueAnswer`, `CidrRoutingConfig`, `GeoProximityLocation`) are only reported as present (their text, or
 * `true` for a nested element), so records using them can be recognised and skipped.
 */
export interface Route53ResourceRecordSet {
  readonly Name?: string;
  readonly Type?: string;
  readonly SetIdentifier?: string;
  readonly Weight?: number;
  readonly TTL?: number;
  readonly ResourceRecords?: readonly Route53ResourceRecord[];
  readonly AliasTarget?: Route53AliasTarget;
  readonly Region?: string;
  readonly Failover?: string;
  readonly GeoLocation?: unknown;
  readonly MultiValueAnswer?: boolean;
  readonly CidrRoutingConfig?: unknown;
  readonly GeoProximityLocation?: unknown;
}

export type Route53ChangeAction = 'CREATE' | 'DELETE' | 'UPSERT';

export interface Route53Change {
  readonly Action: Route53ChangeAction;
  readonly ResourceRecordSet: Route53ResourceRecordSet;
}

export interface ListResourceRecordSetsInput {
  readonly HostedZoneId: string;
  readonly StartRecordName?: string;
  readonly StartRecordType?: string;
  readonly StartRecordIdentifier?: string;
}

export interface ListResourceRecordSetsOutput {
  readonly ResourceRecordSets?: readonly Route53ResourceRecordSet[];
  readonly IsTruncated?: boolean;
  readonly NextRecordName?: string;
  readonly NextRecordType?: string;
  readonly NextRecordIdentifier?: string;
}

export interface ChangeResourceRecordSetsInput {
  readonly HostedZoneId: string;
  readonly ChangeBatch: { readonly Comment?: string; readonly Changes: readonly Route53Change[] };
}

export interface Route53ChangeInfo {
  readonly Id?: string;
  readonly Status?: string;
}

export interface ChangeInfoOutput {
  readonly ChangeInfo?: Route53ChangeInfo;
}

/** The Route 53 calls the DNS provider makes. */
export interface Route53Api {
  listResourceRecordSets(input: ListResourceRecordSetsInput): Promise<ListResourceRecordSetsOutput>;
  changeResourceRecordSets(input: ChangeResourceRecordSetsInput): Promise<ChangeInfoOutput>;
  getChange(input: { readonly Id: string }): Promise<ChangeInfoOutput>;
}

/** A Route 53 error answer (or unresolvable credentials): `name` is the AWS error code. */
export class Route53RestError extends Error {
  constructor(
    name: string,
    /** HTTP status; 0 when no request was sent. */
    readonly status: number,
    message: string,
    /** InvalidChangeBatch: one message per problem in the batch. */
    readonly messages: readonly string[] = [],
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * The request failed without an answer (fetch rejected: connection refused or reset, DNS failure, a blocked port,
 * the deadline). `cause` is fetch's error; `timedOut` when the deadline aborted it.
 */
export class Route53NetworkError extends Error {
  readonly timedOut: boolean;
  constructor(cause: unknown) {
    // Duck-typed: fetch's errors (DOMException for aborts) may come from another realm.
    const inner = typeof cause === 'object' && cause !== null ? (cause as { name?: unknown; message?: unknown; cause?: { message?: unknown } }) : undefined;
    const socket = typeof inner?.cause?.message === 'string' ? inner.cause.message : undefined;
    super(`${typeof inner?.message === 'string' ? inner.message : 'request failed'}${socket ? ` (${socket})` : ''}`, { cause });
    this.name = 'NetworkError';
    this.timedOut = inner?.name === 'TimeoutError' || inner?.name === 'AbortError';
  }
}

// ---- the REST client ------------------------------------------------------------------------------------------

export interface Route53RestApiOptions {
  /** Called for every request (cache inside it if resolving is expensive). */
  readonly credentials: AwsCredentialsProvider;
  /** Default `https://route53.amazonaws.com`; e.g. `http://127.0.0.1:PORT` for moto. */
  readonly endpoint?: string;
  /** Signing region; Route 53 is global and signs for `us-east-1`. */
  readonly region?: string;
  /** Deadline per request in ms (default 10 000; 0 = none). */
  readonly timeoutMs?: number;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Clock for `X-Amz-Date`; default `() => new Date()`. */
  readonly now?: () => Date;
}

export class Route53RestApi implements Route53Api {
  private readonly base: string;
  private readonly region: string;
  private readonly credentials: AwsCredentialsProvider;
  private readonly timeoutMs: number;
  private readonly send: (request: RestRequest) => Promise<RestResponse>;
  private readonly now: () => Date;

  constructor(options: Route53RestApiOptions) {
    const url = new URL(options.endpoint ?? 'https://route53.amazonaws.com');
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('route53: endpoint must be an http(s) URL');
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.region = options.region ?? 'us-east-1';
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.send = fetchRestSend(options.fetch);
    this.now = options.now ?? (() => new Date());
  }

  async listResourceRecordSets(input: ListResourceRecordSetsInput): Promise<ListResourceRecordSetsOutput> {
    const query: [string, string | undefined][] = [
      ['name', input.StartRecordName],
      ['type', input.StartRecordType],
      ['identifier', input.StartRecordIdentifier],
    ];
    const search = query
      .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
      // RFC 3986-encoded as sigv4 canonicalises the query, so the wire and the signature agree.
      .map(([k, v]) => `${k}=${encodeRfc3986(v)}`)
      .join('&');
    const root = await this.call('GET', `/hostedzone/${idSegment(input.HostedZoneId, 'hostedzone')}/rrset${search ? `?${search}` : ''}`);
    const next = (name: string): string | undefined => textOf(root, name);
    const nextName = next('NextRecordName');
    const nextType = next('NextRecordType');
    const nextId = next('NextRecordIdentifier');
    return {
      ResourceRecordSets: childrenOf(child(root, 'ResourceRecordSets'), 'ResourceRecordSet').map(recordSetOf),
      IsTruncated: textOf(root, 'IsTruncated') === 'true',
      ...(nextName === undefined ? {} : { NextRecordName: nextName }),
      ...(nextType === undefined ? {} : { NextRecordType: nextType }),
      ...(nextId === undefined ? {} : { NextRecordIdentifier: nextId }),
    };
  }

  async changeResourceRecordSets(input: ChangeResourceRecordSetsInput): Promise<ChangeInfoOutput> {
    const root = await this.call('POST', `/hostedzone/${idSegment(input.HostedZoneId, 'hostedzone')}/rrset/`, changeBatchXml(input));
    return changeInfoOf(root);
  }

  async getChange(input: { readonly Id: string }): Promise<ChangeInfoOutput> {
    return changeInfoOf(await this.call('GET', `/change/${idSegment(input.Id, 'change')}`));
  }

  /** One signed request under the deadline; resolves the parsed 2xx answer's root element. */
  private async call(method: 'GET' | 'POST', path: string, body = ''): Promise<XmlNode> {
    const credentials = await this.resolveCredentials();
    const url = `${this.base}/${API_VERSION}${path}`;
    const headers = signRequest(
      { method, url, headers: method === 'POST' ? { 'Content-Type': 'application/xml' } : {}, body },
      credentials,
      { region: this.region, service: 'route53' },
      this.now(),
    );
    let response: RestResponse;
    try {
      response = await this.send({ method, url, headers, ...(method === 'POST' ? { body } : {}), timeoutMs: this.timeoutMs });
    } catch (err) {
      throw new Route53NetworkError(err);
    }
    const text = response.body;
    if (text.length > MAX_RESPONSE_BYTES) throw new Route53RestError('ResponseTooLarge', response.status, `answer larger than ${MAX_RESPONSE_BYTES} bytes`);
    let root: XmlNode | undefined;
    try {
      root = text.trim() === '' ? undefined : documentElement(parseXml(text));
    } catch {
      root = undefined;
    }
    if (response.status >= 200 && response.status < 300) {
      if (root === undefined) throw new Route53RestError('MalformedResponse', response.status, 'answer is not XML');
      return root;
    }
    throw errorOf(response, root, credentials);
  }

  private async resolveCredentials(): Promise<AwsCredentials> {
    let credentials: AwsCredentials;
    try {
      credentials = await this.credentials();
    } catch (err) {
      // The provider's own message may say what is missing; it is not expected to hold secrets, but is kept short.
      const reason = err instanceof Error ? err.message.split('\n')[0]?.slice(0, MAX_MESSAGE_LENGTH) : undefined;
      throw new Route53RestError('CredentialsError', 0, `could not resolve AWS credentials${reason ? `: ${reason}` : ''}`);
    }
    if (!credentials || typeof credentials.accessKeyId !== 'string' || credentials.accessKeyId === '' || typeof credentials.secretAccessKey !== 'string' || credentials.secretAccessKey === '') {
      throw new Route53RestError('CredentialsError', 0, 'AWS credentials are missing an access key id or secret access key');
    }
    return credentials;
  }
}

/** Static credentials (copied) or a provider → a provider. */
export function credentialsProvider(credentials: AwsCredentials | AwsCredentialsProvider): AwsCredentialsProvider {
  if (typeof credentials === 'function') return credentials;
  const fixed: AwsCredentials = { ...credentials };
  return async () => fixed;
}

// ---- requests -------------------------------------------------------------------------------------------------

/** `Z123`, `/hostedzone/Z123` or `hostedzone/Z123` → `Z123`, percent-encoded as one path segment. */
function idSegment(id: string, kind: 'hostedzone' | 'change'): string {
  const bare = id.replace(kind === 'hostedzone' ? /^\/?hostedzone\// : /^\/?change\//, '');
  if (bare === '') throw new Route53RestError('InvalidInput', 0, `empty ${kind === 'hostedzone' ? 'hosted zone' : 'change'} id`);
  return encodeRfc3986(bare);
}

/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const element = (name: string, value: string | number | undefined): string => (value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`);

/** The `ChangeResourceRecordSetsRequest` document (members in the schema's order). */
export function changeBatchXml(input: ChangeResourceRecordSetsInput): string {
  const changes = input.ChangeBatch.Changes.map((change) => {
    const set = change.ResourceRecordSet;
    const records = set.ResourceRecords
      ? `<ResourceRecords>${set.ResourceRecords.map((r) => `<ResourceRecord>${element('Value', r.Value ?? '')}</ResourceRecord>`).join('')}</ResourceRecords>`
      : '';
    const alias = set.AliasTarget
      ? `<AliasTarget>${element('HostedZoneId', set.AliasTarget.HostedZoneId)}${element('DNSName', set.AliasTarget.DNSName)}${element('EvaluateTargetHealth', set.AliasTarget.EvaluateTargetHealth === undefined ? undefined : String(set.AliasTarget.EvaluateTargetHealth))}</AliasTarget>`
      : '';
    return (
      `<Change>${element('Action', change.Action)}<ResourceRecordSet>${element('Name', set.Name)}${element('Type', set.Type)}` +
      `${element('SetIdentifier', set.SetIdentifier)}${element('Weight', set.Weight)}${element('TTL', set.TTL)}${records}${alias}</ResourceRecordSet></Change>`
    );
  }).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ChangeResourceRecordSetsRequest xmlns="${ROUTE53_XMLNS}"><ChangeBatch>` +
    `${element('Comment', input.ChangeBatch.Comment)}<Changes>${changes}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`
  );
}

// ---- answers --------------------------------------------------------------------------------------------------

function recordSetOf(node: XmlNode): Route53ResourceRecordSet {
  const text = (name: string): string | undefined => textOf(node, name);
  const number = (name: string): number | undefined => {
    const t = text(name);
    if (t === undefined || t === '') return undefined;
    const n = Number(t);
    return Number.isFinite(n) ? n : undefined;
  };
  const present = (name: string): true | undefined => (child(node, name) ? true : undefined);
  const records = child(node, 'ResourceRecords');
  const alias = child(node, 'AliasTarget');
  const fields: Record<string, unknown> = {
    Name: text('Name'),
    Type: text('Type'),
    SetIdentifier: text('SetIdentifier'),
    Weight: number('Weight'),
    TTL: number('TTL'),
    ResourceRecords: records ? childrenOf(records, 'ResourceRecord').map((r) => ({ Value: textOf(r, 'Value') ?? '' })) : undefined,
    AliasTarget: alias
      ? { HostedZoneId: textOf(alias, 'HostedZoneId'), DNSName: textOf(alias, 'DNSName'), EvaluateTargetHealth: textOf(alias, 'EvaluateTargetHealth') === 'true' }
      : undefined,
    Region: text('Region'),
    Failover: text('Failover'),
    GeoLocation: present('GeoLocation'),
    MultiValueAnswer: child(node, 'MultiValueAnswer') ? text('MultiValueAnswer') === 'true' : undefined,
    CidrRoutingConfig: present('CidrRoutingConfig'),
    GeoProximityLocation: present('GeoProximityLocation'),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Route53ResourceRecordSet;
}

function changeInfoOf(root: XmlNode): ChangeInfoOutput {
  const info = child(root, 'ChangeInfo');
  if (!info) return {};
  const id = textOf(info, 'Id');
  const status = textOf(info, 'Status');
  return { ChangeInfo: { ...(id === undefined ? {} : { Id: id }), ...(status === undefined ? {} : { Status: status }) } };
}

/** The error for a non-2xx answer: AWS code, first line of the message(s), secrets redacted. */
function errorOf(response: RestResponse, root: XmlNode | undefined, credentials: AwsCredentials): Route53RestError {
  const clean = (text: string): string => redactCredentials(text.trim().split('\n')[0] ?? '', credentials).slice(0, MAX_MESSAGE_LENGTH);
  let code: string | undefined;
  let message = '';
  let messages: string[] = [];
  if (root?.name === 'InvalidChangeBatch') {
    code = 'InvalidChangeBatch';
    messages = childrenOf(child(root, 'Messages'), 'Message').map((m) => clean(m.text)).slice(0, 20);
    message = messages.join('; ') || clean(textOf(root, 'Message') ?? '');
  } else if (root) {
    const error = root.name === 'Error' ? root : child(root, 'Error');
    code = textOf(error, 'Code');
    message = clean(textOf(error, 'Message') ?? '');
  }
  if (!code) code = (response.headers['x-amzn-errortype'] ?? '').split(':')[0] || undefined;
  const name = code && /^[A-Za-z0-9._-]{1,100}$/.test(code) ? code : `Http${response.status}`;
  return new Route53RestError(name, response.status, message || `HTTP ${response.status}`, messages);
}

function redactCredentials(text: string, credentials: AwsCredentials): string {
  return [credentials.secretAccessKey, credentials.sessionToken].reduce((out: string, secret) => (secret ? redact(out, secret) : out), text);
}

// ---- a minimal XML reader -------------------------------------------------------------------------------------
// Elements and text only: no DTDs (a DOCTYPE is refused, so no entity expansion), only the five predefined entities
// and character references, CDATA as text, attributes and namespace prefixes ignored.

interface XmlNode {
  readonly name: string;
  readonly children: XmlNode[];
  text: string;
}

const MAX_DEPTH = 32;

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g, (match, entity: string) => {
    switch (entity) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
      }
    }
  });
}

/** Parses `xml` into a tree under a `#document` node; throws on a DOCTYPE, unbalanced tags or excessive nesting. */
export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#document', children: [], text: '' };
  const stack: XmlNode[] = [root];
  const token = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<!([^>]*)>|<(\/?)([A-Za-z_][\w.:-]*)(?:\s[^>]*?)?(\/?)>|([^<]+)|(<)/g;
  for (let m = token.exec(xml); m; m = token.exec(xml)) {
    const [, cdata, declaration, closing, tag, selfClosing, text, stray] = m;
    const top = stack[stack.length - 1] as XmlNode;
    if (declaration !== undefined || stray !== undefined) throw new Error('unsupported XML');
    if (cdata !== undefined) top.text += cdata;
    else if (text !== undefined) top.text += decodeEntities(text);
    else if (tag === undefined) continue;
    else {
      const name = tag.replace(/^.*:/, '');
      if (closing) {
        if (stack.length === 1 || top.name !== name) throw new Error('unbalanced XML');
        stack.pop();
      } else {
        const node: XmlNode = { name, children: [], text: '' };
        top.children.push(node);
        if (!selfClosing) {
          if (stack.length > MAX_DEPTH) throw new Error('XML nested too deeply');
          stack.push(node);
        }
      }
    }
  }
  if (stack.length !== 1) throw new Error('unbalanced XML');
  return root;
}

function documentElement(doc: XmlNode): XmlNode | undefined {
  return doc.children[0];
}

function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === name);
}

function childrenOf(node: XmlNode | undefined, name: string): XmlNode[] {
  return node?.children.filter((c) => c.name === name) ?? [];
}

/** Text of the first child element `name` (trimmed, except for values), or undefined when absent. */
function textOf(node: XmlNode | undefined, name: string): string | undefined {
  const c = child(node, name);
  if (c === undefined) return undefined;
  return name === 'Value' ? c.text : c.text.trim();
}
