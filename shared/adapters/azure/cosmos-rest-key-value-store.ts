/**
 * {@link KeyValueStore} on one Cosmos DB (NoSQL API) container over the Cosmos DB REST API and Node's global
 * `fetch`, signed with the account's master key (node:crypto HMAC-SHA256): none of @azure/cosmos's ~300 KB.
 *
 * Items are the SDK adapter's (cosmos-key-value-store.ts), so either adapter reads what the other wrote:
 * `id` = {@link encodeKeyAsId}(key, 255), partition key path `/pk` = {@link partitionOf}(key), plus `key`,
 * `version`, `value` (JSON text), `deleted`, `expiresAt`.
 *
 * Calls (all under the store's deadline; each request is also aborted when it passes):
 * - get: `GET .../docs/{id}` with the partition key (404 → absent);
 * - `absent`: `POST .../docs` (409 → conflict); `version`/`older`/versioned deletes: read, compare, then
 *   `PUT`/`DELETE .../docs/{id}` with `If-Match: <_etag read>` (412 → changed since; see
 *   {@link ReadCompareWriteKeyValueStore}); plain puts are upserts (`x-ms-documentdb-is-upsert`);
 * - list: a SQL query. A prefix with a `/` lives in one partition: `WHERE c.pk = @pk AND STARTSWITH(c.key, @p)
 *   ORDER BY c.key`, paged with `x-ms-continuation` and stopped at `limit`. Any other prefix spans partitions,
 *   where the gateway serves no ORDER BY or TOP (only the SDKs' client-side query engine can), so the filter runs
 *   unordered across partitions (`x-ms-documentdb-query-enablecrosspartition`) and the matches are sorted here.
 *
 * Errors: 409/412 → `conflict`; 404 → `not_found`, except substatus 1003 (container or database missing) →
 * `unavailable`; 400/413 → `validation`; 401/403 → `unauthorized`; 429 → `throttled` (with `retryAfterMs` from
 * `x-ms-retry-after-ms` in the details); 408/410/449/5xx, network failures and the deadline → `unavailable`.
 * The master key never leaves {@link masterKeySigner}: only signatures go on the wire, and errors carry neither.
 */
import { createHmac } from 'node:crypto';
import { MeshgateError } from '../../core/errors';
import type { VersionedRecord } from '../../ports/key-value-store';
import {
  codeForHttpStatus,
  compareKeys,
  encodeKeyAsId,
  fromStored,
  isNetworkError,
  isSinglePartitionPrefix,
  partitionOf,
  ReadCompareWriteKeyValueStore,
  storeError,
  toStored,
  type BaseKeyValueStoreOptions,
  type ReadForWrite,
  type StoredRecord,
  type StoreOperation,
} from '../_base/base-key-value-store';

/** Cosmos DB's id limit. */
const MAX_ID_LENGTH = 255;
/** Items per page of a single-partition query. */
const PAGE_SIZE = 100;
/** Items per page of a cross-partition query (read to the end anyway). */
const CROSS_PARTITION_PAGE_SIZE = 1_000;
/** Substatus of a 404 whose container or database is missing (not the item). */
const OWNER_RESOURCE_MISSING = 1003;
export const COSMOS_API_VERSION = '2018-12-31';
const MAX_MESSAGE_LENGTH = 300;

export type CosmosVerb = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type CosmosResourceType = 'dbs' | 'colls' | 'docs';

/** Signs one request: the `Authorization` header value (URL-encoded) for verb, resource type, link and date. */
export type CosmosSigner = (verb: CosmosVerb, resourceType: CosmosResourceType, resourceLink: string, date: string) => string;

/**
 * The master-key signer of "Access control on Cosmos DB resources": HMAC-SHA256, keyed with the base64-decoded
 * master key, over `verb\nresourceType\nresourceLink\ndate\n\n` with verb, resource type and date (RFC 1123,
 * as sent in `x-ms-date`) lower-cased and the resource link as is; the header is
 * `encodeURIComponent("type=master&ver=1.0&sig=" + base64(hmac))`. The key is kept inside the closure only.
 */
export function masterKeySigner(masterKey: string): CosmosSigner {
  if (typeof masterKey !== 'string' || masterKey === '') throw new MeshgateError('validation', 'cosmos: the account key must not be empty');
  const secret = Buffer.from(masterKey, 'base64');
  return (verb, resourceType, resourceLink, date) => {
    const text = `${verb.toLowerCase()}\n${resourceType.toLowerCase()}\n${resourceLink}\n${date.toLowerCase()}\n\n`;
    const signature = createHmac('sha256', secret).update(text, 'utf8').digest('base64');
    return encodeURIComponent(`type=master&ver=1.0&sig=${signature}`);
  };
}

/**
 * `x-ms-documentdb-partitionkey` value: a JSON array with non-ASCII characters escaped, because HTTP header values
 * are bytes (fetch refuses characters above U+00FF) and JSON `\u` escapes mean the same string.
 */
export function partitionKeyHeader(pk: string): string {
  return JSON.stringify([pk]).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A Cosmos DB REST error: HTTP status, `x-ms-substatus`, the service's `code` and (for 429) the retry hint. */
export class CosmosRestError extends Error {
  constructor(
    readonly status: number,
    readonly substatus: number | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'CosmosRestError';
  }
}

interface CosmosItem extends StoredRecord {
  id: string;
  pk: string;
  _etag?: string;
}

interface CosmosAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

interface RequestSpec {
  readonly verb: CosmosVerb;
  /** URL path below the endpoint, already encoded. */
  readonly path: string;
  readonly resourceType: CosmosResourceType;
  /** Unencoded resource link that is signed. */
  readonly resourceLink: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface CosmosRestKeyValueStoreOptions extends BaseKeyValueStoreOptions {
  /** Account endpoint, e.g. `https://acct.documents.azure.com:443/` or `http://127.0.0.1:PORT` (emulator). */
  readonly endpoint: string;
  readonly database: string;
  readonly container: string;
  /** Signs each request; build it with {@link masterKeySigner}. */
  readonly signer: CosmosSigner;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Clock for `x-ms-date`; default `() => new Date()`. */
  readonly now?: () => Date;
}

export class CosmosRestKeyValueStore extends ReadCompareWriteKeyValueStore<string> {
  readonly name = 'cosmos';
  private readonly endpoint: string;
  private readonly database: string;
  private readonly container: string;
  private readonly signer: CosmosSigner;
  private readonly fetchApi: typeof fetch;
  private readonly now: () => Date;

  constructor(options: CosmosRestKeyValueStoreOptions) {
    super(options);
    for (const [what, value] of [['database', options.database], ['container', options.container]] as const) {
      if (typeof value !== 'string' || value === '' || /[/\\?#]/.test(value)) {
        throw new MeshgateError('validation', `cosmos: ${what} must be a non-empty name without / \\ ? #`);
      }
    }
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.database = options.database;
    this.container = options.container;
    this.signer = options.signer;
    this.fetchApi = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? (() => new Date());
  }

  /** Nothing to release (requests use the global fetch's connection pool); kept for symmetry with the SDK adapter. */
  async close(): Promise<void> {}

  /**
   * Creates the database and the container (partition key `/pk`, hash v2) when missing; idempotent and safe to
   * race. Fails with `internal` when the container exists with another partition key.
   */
  async ensureContainer(): Promise<void> {
    const op: StoreOperation = 'put';
    const what = '(container)';
    try {
      let container = await this.request(this.containerRequest('GET'));
      if (container.status === 404) {
        const db = await this.request({ verb: 'POST', path: '/dbs', resourceType: 'dbs', resourceLink: '', body: { id: this.database } });
        if (db.status !== 201 && db.status !== 409) throw errorOf(db);
        const created = await this.request({
          verb: 'POST',
          path: `/dbs/${encodeURIComponent(this.database)}/colls`,
          resourceType: 'colls',
          resourceLink: `dbs/${this.database}`,
          body: { id: this.container, partitionKey: { paths: ['/pk'], kind: 'Hash', version: 2 } },
        });
        if (created.status !== 201 && created.status !== 409) throw errorOf(created);
        container = created.status === 201 ? created : await this.request(this.containerRequest('GET'));
      }
      if (container.status !== 200 && container.status !== 201) throw errorOf(container);
      const paths = (container.body as { partitionKey?: { paths?: unknown } } | undefined)?.partitionKey?.paths;
      if (!Array.isArray(paths) || paths.length !== 1 || paths[0] !== '/pk') {
        throw new MeshgateError('internal', `cosmos: container "${this.container}" exists with partition key [${Array.isArray(paths) ? paths.join(', ') : ''}], expected /pk`);
      }
    } catch (err) {
      throw err instanceof MeshgateError ? err : this.translateError(err, op, what);
    }
  }

  protected override async readForWrite(key: string): Promise<ReadForWrite<string> | undefined> {
    const answer = await this.request(this.itemRequest('GET', key));
    if (answer.status === 404) {
      if (substatusOf(answer) === OWNER_RESOURCE_MISSING) throw errorOf(answer);
      return undefined;
    }
    if (answer.status !== 200) throw errorOf(answer);
    const item = answer.body as CosmosItem | undefined;
    const etag = item?._etag ?? answer.headers.get('etag');
    if (!etag) throw new CosmosRestError(answer.status, undefined, `item for "${key}" has no _etag`);
    return { record: fromStored(item, this.name), token: etag };
  }

  protected override async insert(record: VersionedRecord): Promise<'ok' | 'exists'> {
    const answer = await this.request(this.docsRequest('POST', record.key, toItem(record)));
    if (answer.status === 201) return 'ok';
    if (answer.status === 409) return 'exists';
    throw errorOf(answer);
  }

  protected override async replace(record: VersionedRecord, etag: string): Promise<'ok' | 'changed'> {
    const answer = await this.request(this.itemRequest('PUT', record.key, { 'If-Match': etag }, toItem(record)));
    if (answer.status === 200) return 'ok';
    if (answer.status === 412 || (answer.status === 404 && substatusOf(answer) !== OWNER_RESOURCE_MISSING)) return 'changed';
    throw errorOf(answer);
  }

  protected override async upsert(record: VersionedRecord): Promise<void> {
    const answer = await this.request(this.docsRequest('POST', record.key, toItem(record), { 'x-ms-documentdb-is-upsert': 'True' }));
    if (answer.status !== 200 && answer.status !== 201) throw errorOf(answer);
  }

  protected override async remove(key: string, etag: string | undefined): Promise<'ok' | 'missing' | 'changed'> {
    const answer = await this.request(this.itemRequest('DELETE', key, etag === undefined ? {} : { 'If-Match': etag }));
    if (answer.status === 204 || answer.status === 200) return 'ok';
    if (answer.status === 404 && substatusOf(answer) !== OWNER_RESOURCE_MISSING) return 'missing';
    if (answer.status === 412) return 'changed';
    throw errorOf(answer);
  }

  protected override async listRecords(prefix: string, limit: number | undefined): Promise<VersionedRecord[]> {
    const single = isSinglePartitionPrefix(prefix);
    const query = single
      ? {
          query: 'SELECT * FROM c WHERE c.pk = @pk AND STARTSWITH(c.key, @prefix) ORDER BY c.key ASC',
          parameters: [
            { name: '@pk', value: partitionOf(prefix) },
            { name: '@prefix', value: prefix },
          ],
        }
      : { query: 'SELECT * FROM c WHERE STARTSWITH(c.key, @prefix)', parameters: [{ name: '@prefix', value: prefix }] };
    const pageSize = single ? Math.min(limit ?? PAGE_SIZE, PAGE_SIZE) : CROSS_PARTITION_PAGE_SIZE;
    const out: VersionedRecord[] = [];
    let continuation: string | null = null;
    do {
      const answer = await this.request({
        verb: 'POST',
        ...this.docsLocation(),
        body: query,
        headers: {
          'Content-Type': 'application/query+json',
          'x-ms-documentdb-isquery': 'True',
          'x-ms-max-item-count': String(pageSize),
          ...(single ? { 'x-ms-documentdb-partitionkey': partitionKeyHeader(partitionOf(prefix)) } : {}),
          ...(continuation === null ? {} : { 'x-ms-continuation': continuation }),
        },
      });
      if (answer.status !== 200) throw errorOf(answer);
      const documents = (answer.body as { Documents?: unknown } | undefined)?.Documents;
      if (!Array.isArray(documents)) throw new CosmosRestError(answer.status, undefined, 'query answer has no Documents');
      for (const item of documents) out.push(fromStored(item, this.name));
      continuation = answer.headers.get('x-ms-continuation');
    } while (continuation && (!single || limit === undefined || out.length < limit));
    if (!single) out.sort((a, b) => compareKeys(a.key, b.key));
    return limit === undefined ? out : out.slice(0, limit);
  }

  protected override translateError(err: unknown, op: StoreOperation, key: string): MeshgateError {
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof CosmosRestError)) {
      if (isNetworkError(err)) return storeError('unavailable', this.name, op, key, message, { cause: err });
      return storeError('internal', this.name, op, key, message, { cause: err });
    }
    const { status, substatus } = err;
    const extra = { cause: err, details: { status, substatus, ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }) } };
    if (status === 409 || status === 412) return storeError('conflict', this.name, op, key, message, extra);
    if (status === 404) {
      return substatus === OWNER_RESOURCE_MISSING
        ? storeError('unavailable', this.name, op, key, `container or database does not exist (ensureContainer() creates it): ${message}`, extra)
        : storeError('not_found', this.name, op, key, message, extra);
    }
    if (status === 400 || status === 413) return storeError('validation', this.name, op, key, message, extra);
    if (status === 410 || status === 449) return storeError('unavailable', this.name, op, key, message, extra);
    return storeError(codeForHttpStatus(status) ?? 'internal', this.name, op, key, message, extra);
  }

  // ---- requests ------------------------------------------------------------------------------------------------

  private docsLocation(): Pick<RequestSpec, 'path' | 'resourceType' | 'resourceLink'> {
    return {
      path: `/dbs/${encodeURIComponent(this.database)}/colls/${encodeURIComponent(this.container)}/docs`,
      resourceType: 'docs',
      resourceLink: `dbs/${this.database}/colls/${this.container}`,
    };
  }

  private containerRequest(verb: CosmosVerb): RequestSpec {
    return {
      verb,
      path: `/dbs/${encodeURIComponent(this.database)}/colls/${encodeURIComponent(this.container)}`,
      resourceType: 'colls',
      resourceLink: `dbs/${this.database}/colls/${this.container}`,
    };
  }

  /** POST to the container's documents (create, upsert) in the key's partition. */
  private docsRequest(verb: 'POST', key: string, body: CosmosItem, headers: Record<string, string> = {}): RequestSpec {
    return { verb, ...this.docsLocation(), body, headers: { 'x-ms-documentdb-partitionkey': partitionKeyHeader(partitionOf(key)), ...headers } };
  }

  /** GET/PUT/DELETE of the key's item. Ids are `[A-Za-z0-9_-]` (encodeKeyAsId), so path and link agree. */
  private itemRequest(verb: CosmosVerb, key: string, headers: Record<string, string> = {}, body?: CosmosItem): RequestSpec {
    const docs = this.docsLocation();
    const id = encodeKeyAsId(key, MAX_ID_LENGTH);
    return {
      verb,
      path: `${docs.path}/${id}`,
      resourceType: 'docs',
      resourceLink: `${docs.resourceLink}/docs/${id}`,
      ...(body === undefined ? {} : { body }),
      headers: { 'x-ms-documentdb-partitionkey': partitionKeyHeader(partitionOf(key)), ...headers },
    };
  }

  /** Sends one signed request; resolves every HTTP answer (callers decide), rejects only on transport failure. */
  private async request(spec: RequestSpec): Promise<CosmosAnswer> {
    const date = this.now().toUTCString();
    const response = await this.fetchApi(`${this.endpoint}${spec.path}`, {
      method: spec.verb,
      headers: {
        Authorization: this.signer(spec.verb, spec.resourceType, spec.resourceLink, date),
        'x-ms-date': date,
        'x-ms-version': COSMOS_API_VERSION,
        Accept: 'application/json',
        // As @azure/cosmos sends on every request: no effect on point operations in the service, and
        // cosmosdb-server only answers point reads of missing items correctly with it.
        'x-ms-documentdb-query-enablecrosspartition': 'True',
        ...(spec.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...spec.headers,
      },
      ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
      ...(this.timeoutMs > 0 ? { signal: AbortSignal.timeout(this.timeoutMs) } : {}),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      if (response.ok) throw new CosmosRestError(response.status, undefined, 'answer is not JSON');
    }
    return { status: response.status, headers: response.headers, body };
  }
}

function toItem(record: VersionedRecord): CosmosItem {
  return { id: encodeKeyAsId(record.key, MAX_ID_LENGTH), pk: partitionOf(record.key), ...toStored(record) };
}

function substatusOf(answer: CosmosAnswer): number | undefined {
  const raw = answer.headers.get('x-ms-substatus');
  const n = raw === null ? NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** The error for an unexpected answer: status, substatus, the service's `code: message` (never request headers). */
function errorOf(answer: CosmosAnswer): CosmosRestError {
  const body = (answer.body ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof body.code === 'string' ? body.code : `HTTP ${answer.status}`;
  const text = typeof body.message === 'string' && body.message !== '' ? `: ${body.message.split('\n')[0]?.slice(0, MAX_MESSAGE_LENGTH)}` : '';
  const retryAfter = Number(answer.headers.get('x-ms-retry-after-ms') ?? NaN);
  return new CosmosRestError(answer.status, substatusOf(answer), `${code}${text}`, Number.isFinite(retryAfter) ? retryAfter : undefined);
}

export interface CosmosRestKeyValueStoreConfig {
  /** Account endpoint, e.g. `https://acct.documents.azure.com:443/` or `http://127.0.0.1:PORT` (emulator). */
  readonly endpoint: string;
  /** Account master key (base64), as shown in the portal. */
  readonly key: string;
  readonly database: string;
  readonly container: string;
  /** Deadline per store call in ms (default 3000). */
  readonly timeoutMs?: number;
}

/** Builds a store that signs with the account key. Call `ensureContainer()` once to create what is missing. */
export function createCosmosRestKeyValueStore(config: CosmosRestKeyValueStoreConfig): CosmosRestKeyValueStore {
  return new CosmosRestKeyValueStore({
    endpoint: config.endpoint,
    database: config.database,
    container: config.container,
    signer: masterKeySigner(config.key),
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
  });
}
