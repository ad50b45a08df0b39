/**
 * A loopback HTTP proxy in front of moto's Route 53 that validates ChangeResourceRecordSets batches the way the
 * real service does, because moto accepts batches Route 53 rejects (DESIGN.md §5): a DELETE of a record that was
 * replaced since (moto checks its change journal, not the zone), a duplicate CREATE, weight 300.
 *
 * For each `POST /2013-04-01/hostedzone/{Id}/rrset` it parses the XML body, reads the zone's current records from
 * moto (ListResourceRecordSets, all pages) and replays the changes in order on that image:
 * - CREATE of an existing (name, type, set identifier) → rejected;
 * - DELETE of a missing record, or of one whose TTL, weight or values differ → rejected;
 * - UPSERT → replaces;
 * - a weight outside 0-255 → InvalidInput.
 * A rejected batch gets HTTP 400 with the Route 53 error shape (ErrorResponse/Error/Type,Code,Message) and code
 * `InvalidChangeBatch`, as documented for ChangeResourceRecordSets:
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
 * (Errors: "InvalidChangeBatch — This exception contains a list of messages that might contain one or more error
 * messages. Each error message indicates one error in the change batch. HTTP Status Code: 400").
 * Valid batches are forwarded as their net effect (see `netEffectBody`: moto mishandles DELETE X + CREATE X in one
 * batch); every other request (DynamoDB too: the local mesh points the whole AWS endpoint here) is forwarded
 * unchanged. Change batches are checked and forwarded one at a time, so check-then-forward is atomic with respect
 * to other batches sent through the proxy.
 *
 * Local infrastructure (the local mesh `npm start`, the failover benchmark and the Route 53 tests), not product
 * code. `batches` records every change batch and its fate; `holdNextBatch()` keeps the next batch in flight until
 * released (a leader paused mid-request, for the stale-leader scenario).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StrictRoute53Proxy {
  /** `http://127.0.0.1:PORT`: point the SDK client here. */
  readonly endpoint: string;
  readonly port: number;
  /** Batches answered with an error by the proxy itself (not forwarded). */
  readonly rejected: { readonly code: string; readonly messages: readonly string[] }[];
  /** Every change batch received, in the order it was checked, with its fate. */
  readonly batches: BatchLogEntry[];
  /** Change batches forwarded to moto. */
  forwardedBatches(): number;
  /**
   * Holds the next change batch that arrives before it is checked: the promise resolves with it once it arrives;
   * `release()` checks and forwards it then (against the zone as it is at release time) and resolves with its fate.
   */
  holdNextBatch(signal?: AbortSignal): Promise<HeldBatch>;
  stop(): Promise<void>;
}

export interface BatchChange {
  readonly action: string;
  readonly record: RecordSet;
}

export interface BatchLogEntry {
  /** When the batch was received / checked (epoch ms). */
  readonly receivedAt: number;
  readonly checkedAt: number;
  readonly zoneId: string;
  readonly changes: readonly BatchChange[];
  readonly accepted: boolean;
  /** Error code when rejected by the proxy (`InvalidChangeBatch`, `InvalidInput`), or moto's HTTP status when it failed there. */
  readonly code: string | null;
  readonly messages: readonly string[];
  /** True when this batch was held by `holdNextBatch()`. */
  readonly held: boolean;
}

export interface HeldBatch {
  readonly receivedAt: number;
  readonly zoneId: string;
  readonly changes: readonly BatchChange[];
  release(): Promise<BatchLogEntry>;
}

interface XmlNode {
  readonly name: string;
  readonly children: XmlNode[];
  text: string;
}

const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const MOTO_AUTH = 'AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0';
const CHANGE_PATH = /^\/2013-04-01\/hostedzone\/([^/?]+)\/rrset\/?(\?.*)?$/;

// ---- a minimal XML reader: elements and text, enough for Route 53's request and response bodies ----

const decode = (s: string): string =>
  s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_m, e: string) => {
    switch (e.toLowerCase()) {
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
      default:
        return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });

const encode = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#root', children: [], text: '' };
  const stack: XmlNode[] = [root];
  const token = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<(\/?)([A-Za-z_][\w:.-]*)[^>]*?(\/?)>|([^<]+)/g;
  for (let m = token.exec(xml); m; m = token.exec(xml)) {
    const [, closing, name, selfClosing, text] = m;
    const top = stack[stack.length - 1] as XmlNode;
    if (text !== undefined) top.text += decode(text);
    else if (name === undefined) continue;
    else if (closing) stack.pop();
    else {
      const node: XmlNode = { name: name.replace(/^.*:/, ''), children: [], text: '' };
      top.children.push(node);
      if (!selfClosing) stack.push(node);
    }
  }
  return root;
}

const child = (n: XmlNode | undefined, name: string): XmlNode | undefined => n?.children.find((c) => c.name === name);
const childrenOf = (n: XmlNode | undefined, name: string): XmlNode[] => n?.children.filter((c) => c.name === name) ?? [];
const textOf = (n: XmlNode | undefined, name: string): string | undefined => {
  const c = child(n, name);
  return c === undefined ? undefined : c.text.trim();
};
const path = (n: XmlNode | undefined, ...names: string[]): XmlNode | undefined => names.reduce<XmlNode | undefined>((acc, name) => child(acc, name), n);

// ---- Route 53 semantics ----

export interface RecordSet {
  readonly name: string;
  readonly type: string;
  readonly setId: string;
  readonly weight: number | undefined;
  readonly ttl: number | undefined;
  readonly values: readonly string[];
  readonly alias: boolean;
}

const normName = (name: string): string => `${name.trim().toLowerCase().replace(/\.+$/, '')}.`;
const keyOf = (r: RecordSet): string => `${normName(r.name)}|${r.type}|${r.setId}`;
const label = (r: RecordSet): string => `[name='${normName(r.name)}', type='${r.type}'${r.setId ? `, set-identifier='${r.setId}'` : ''}]`;

function readRecordSet(node: XmlNode | undefined): RecordSet {
  const weight = textOf(node, 'Weight');
  const ttl = textOf(node, 'TTL');
  return {
    name: textOf(node, 'Name') ?? '',
    type: textOf(node, 'Type') ?? '',
    setId: textOf(node, 'SetIdentifier') ?? '',
    weight: weight === undefined ? undefined : Number(weight),
    ttl: ttl === undefined ? undefined : Number(ttl),
    values: childrenOf(child(node, 'ResourceRecords'), 'ResourceRecord').map((rr) => textOf(rr, 'Value') ?? ''),
    alias: child(node, 'AliasTarget') !== undefined,
  };
}

function sameContent(a: RecordSet, b: RecordSet): boolean {
  const av = [...a.values].sort();
  const bv = [...b.values].sort();
  return a.weight === b.weight && a.ttl === b.ttl && a.alias === b.alias && av.length === bv.length && av.every((v, i) => v === bv[i]);
}

type BatchCheck = { readonly ok: false; readonly code: string; readonly messages: string[] } | { readonly ok: true; readonly zone: Map<string, RecordSet> };

/** Replays the batch on the zone image in order; the error code and messages, or the zone after the batch. */
export function checkBatch(current: readonly RecordSet[], changes: readonly { action: string; record: RecordSet }[]): BatchCheck {
  const invalidInput = changes
    .filter(({ record }) => record.weight !== undefined && !(Number.isInteger(record.weight) && record.weight >= 0 && record.weight <= 255))
    .map(({ record }) => `Invalid weight ${record.weight} for ${label(record)}: must be an integer between 0 and 255`);
  if (invalidInput.length > 0) return { ok: false, code: 'InvalidInput', messages: invalidInput };
  const zone = new Map(current.map((r) => [keyOf(r), r]));
  const messages: string[] = [];
  for (const { action, record } of changes) {
    const key = keyOf(record);
    const existing = zone.get(key);
    if (action === 'CREATE') {
      if (existing) messages.push(`Tried to create resource record set ${label(record)} but it already exists`);
      else zone.set(key, record);
    } else if (action === 'DELETE') {
      if (!existing) messages.push(`Tried to delete resource record set ${label(record)} but it was not found`);
      else if (!sameContent(existing, record)) messages.push(`Tried to delete resource record set ${label(record)} but the values provided do not match the current values`);
      else zone.delete(key);
    } else if (action === 'UPSERT') {
      zone.set(key, record);
    } else {
      messages.push(`Unknown action ${action} for ${label(record)}`);
    }
  }
  return messages.length > 0 ? { ok: false, code: 'InvalidChangeBatch', messages } : { ok: true, zone };
}

/**
 * The same end state as a batch moto executes correctly. moto validates a CREATE against its change journal
 * rather than the zone, so DELETE X + CREATE X in one batch (valid on Route 53: changes apply in order) fails
 * there when X was ever created before. A batch already validated here is therefore sent to moto as its net
 * effect: DELETE for records the batch removes, UPSERT for every record it creates or changes. Returns undefined
 * when the batch can't be rewritten (alias records) or has no net effect; forward it unchanged then.
 */
export function netEffectBody(before: readonly RecordSet[], after: ReadonlyMap<string, RecordSet>, changes: readonly { action: string; record: RecordSet }[]): string | undefined {
  if (changes.some(({ record }) => record.alias) || before.some((r) => r.alias)) return undefined;
  const initial = new Map(before.map((r) => [keyOf(r), r]));
  const touched = [...new Set(changes.map(({ record }) => keyOf(record)))];
  const deletes: string[] = [];
  const upserts: string[] = [];
  for (const key of touched) {
    const final = after.get(key);
    const was = initial.get(key);
    if (final) upserts.push(changeXml('UPSERT', final));
    else if (was) deletes.push(changeXml('DELETE', was));
  }
  if (deletes.length + upserts.length === 0) return undefined;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ChangeResourceRecordSetsRequest xmlns="${XMLNS}"><ChangeBatch><Changes>${[...deletes, ...upserts].join('')}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;
}

function changeXml(action: string, r: RecordSet): string {
  const optional = (tag: string, v: string | number | undefined): string => (v === undefined || v === '' ? '' : `<${tag}>${encode(String(v))}</${tag}>`);
  const values = r.values.map((v) => `<ResourceRecord><Value>${encode(v)}</Value></ResourceRecord>`).join('');
  return (
    `<Change><Action>${action}</Action><ResourceRecordSet><Name>${encode(r.name)}</Name><Type>${r.type}</Type>` +
    `${optional('SetIdentifier', r.setId)}${optional('Weight', r.weight)}${optional('TTL', r.ttl)}<ResourceRecords>${values}</ResourceRecords></ResourceRecordSet></Change>`
  );
}

const errorXml = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code>` +
  `<Message>${encode(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;

// ---- HTTP plumbing ----

interface UpstreamResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

function upstreamRequest(upstream: URL, method: string, urlPath: string, headers: http.OutgoingHttpHeaders, body?: Buffer): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: upstream.hostname, port: upstream.port, method, path: urlPath, headers: { ...headers, host: upstream.host }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The zone's current record sets as moto holds them (all pages). `upstream`: moto's `http://127.0.0.1:PORT`. */
export async function listZone(moto: URL | string, zoneId: string): Promise<RecordSet[]> {
  const upstream = typeof moto === 'string' ? new URL(moto) : moto;
  const records: RecordSet[] = [];
  let query = '';
  for (let page = 0; page < 1_000; page += 1) {
    // moto picks the service from the credential scope of the Authorization header (it doesn't check the signature).
    const res = await upstreamRequest(upstream, 'GET', `/2013-04-01/hostedzone/${zoneId}/rrset${query}`, { authorization: MOTO_AUTH });
    if (res.status !== 200) throw new Error(`ListResourceRecordSets on moto answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    const doc = child(parseXml(res.body.toString('utf8')), 'ListResourceRecordSetsResponse');
    records.push(...childrenOf(child(doc, 'ResourceRecordSets'), 'ResourceRecordSet').map(readRecordSet));
    if (textOf(doc, 'IsTruncated') !== 'true') return dedupe(records);
    const params = new URLSearchParams();
    params.set('name', textOf(doc, 'NextRecordName') ?? '');
    const type = textOf(doc, 'NextRecordType');
    const id = textOf(doc, 'NextRecordIdentifier');
    if (type) params.set('type', type);
    if (id) params.set('identifier', id);
    query = `?${params.toString()}`;
  }
  throw new Error('ListResourceRecordSets on moto did not end');
}

const dedupe = (records: RecordSet[]): RecordSet[] => [...new Map(records.map((r) => [keyOf(r), r])).values()];

/** Starts the proxy on a free loopback port in front of `upstream` (moto's `http://127.0.0.1:PORT`). */
export async function startStrictRoute53Proxy(upstream: string): Promise<StrictRoute53Proxy> {
  const target = new URL(upstream);
  const rejected: { code: string; messages: string[] }[] = [];
  const batches: BatchLogEntry[] = [];
  let forwarded = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };
  /** Armed by holdNextBatch(): the next batch is handed to it and waits for release(). */
  let hold: ((batch: HeldBatch) => void) | undefined;

  /** Checks one batch against the zone and forwards it; runs inside `serially`. */
  const checkAndForward = async (
    zoneId: string,
    urlPath: string,
    headers: http.OutgoingHttpHeaders,
    body: Buffer,
    changes: BatchChange[],
    receivedAt: number,
    held: boolean,
  ): Promise<{ response: UpstreamResponse; entry: BatchLogEntry }> => {
    const before = await listZone(target, zoneId);
    const verdict = checkBatch(before, changes);
    const log = (accepted: boolean, code: string | null, messages: string[]): BatchLogEntry => {
      const entry: BatchLogEntry = { receivedAt, checkedAt: Date.now(), zoneId, changes, accepted, code, messages, held };
      batches.push(entry);
      return entry;
    };
    if (!verdict.ok) {
      rejected.push({ code: verdict.code, messages: verdict.messages });
      const xml = errorXml(verdict.code, verdict.messages.join('; '));
      const response = { status: 400, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }, body: Buffer.from(xml) };
      return { response, entry: log(false, verdict.code, verdict.messages) };
    }
    forwarded += 1;
    const rewritten = netEffectBody(before, verdict.zone, changes);
    const response =
      rewritten === undefined
        ? await upstreamRequest(target, 'POST', urlPath, headers, body)
        : await upstreamRequest(target, 'POST', urlPath, { ...headers, 'content-length': String(Buffer.byteLength(rewritten)) }, Buffer.from(rewritten));
    const ok = response.status >= 200 && response.status < 300;
    return { response, entry: log(ok, ok ? null : `HTTP ${response.status}`, ok ? [] : [response.body.toString('utf8').slice(0, 300)]) };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: http.OutgoingHttpHeaders = { ...req.headers };
      delete headers.connection;
      const urlPath = req.url ?? '/';
      const match = req.method === 'POST' ? CHANGE_PATH.exec(urlPath) : null;
      const handle = async (): Promise<UpstreamResponse> => {
        if (!match?.[1]) return upstreamRequest(target, req.method ?? 'GET', urlPath, headers, body);
        const receivedAt = Date.now();
        const zoneId = decodeURIComponent(match[1]);
        const doc = child(parseXml(body.toString('utf8')), 'ChangeResourceRecordSetsRequest');
        const changes = childrenOf(path(doc, 'ChangeBatch', 'Changes'), 'Change').map((c) => ({
          action: textOf(c, 'Action') ?? '',
          record: readRecordSet(child(c, 'ResourceRecordSet')),
        }));
        const take = hold;
        if (take !== undefined) {
          hold = undefined;
          return new Promise<UpstreamResponse>((resolve, reject) => {
            take({
              receivedAt,
              zoneId,
              changes,
              release: () =>
                serially(() => checkAndForward(zoneId, urlPath, headers, body, changes, receivedAt, true)).then(
                  ({ response, entry }) => (resolve(response), entry),
                  (err: unknown) => (reject(err), Promise.reject(err)),
                ),
            });
          });
        }
        return serially(async () => (await checkAndForward(zoneId, urlPath, headers, body, changes, receivedAt, false)).response);
      };
      handle().then(
        (out) => {
          if (res.destroyed) return;
          const outHeaders = { ...out.headers };
          delete outHeaders['transfer-encoding'];
          delete outHeaders.connection;
          res.writeHead(out.status, { ...outHeaders, 'content-length': String(out.body.length) });
          res.end(out.body);
        },
        (err: unknown) => {
          if (res.destroyed) return;
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`strict route53 proxy: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    rejected,
    batches,
    forwardedBatches: () => forwarded,
    holdNextBatch: (signal) =>
      new Promise<HeldBatch>((resolve, reject) => {
        const onAbort = (): void => {
          if (hold === take) hold = undefined;
          reject(new Error('holdNextBatch: aborted before a batch arrived'));
        };
        const take = (batch: HeldBatch): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(batch);
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        hold = take;
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
