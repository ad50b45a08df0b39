/**
 * {@link KeyValueStore} on one Firestore collection (Native mode) over the Firestore REST API v1 and Node's global
 * `fetch`: no gRPC, protobuf or google-auth-library in the bundle (the SDK adapter, firestore-key-value-store.ts,
 * brings about 1.9 MB of them).
 *
 * Documents are the SDK adapter's, so either adapter reads what the other wrote: id =
 * {@link encodeKeyAsId}(key, 1500), fields `key`, `version`, `value` (strings; `value` is the JSON text of the
 * record's value, exact and free of Firestore's rules on nested arrays and map keys), `deleted` (boolean) and
 * `expiresAt` (integer epoch ms, or null).
 *
 * Calls (all under the store's deadline; each request is also aborted when it passes):
 * - get: `GET {documents}/{collection}/{id}` (404 → absent);
 * - writes: `POST {documents}:commit` with one write whose `currentDocument` precondition carries the condition:
 *   `{exists: false}` for `absent` (ALREADY_EXISTS → conflict), `{updateTime}` of the document as read for
 *   `version`/`older`/versioned deletes (FAILED_PRECONDITION → the document changed since; see
 *   {@link ReadCompareWriteKeyValueStore}), none for plain puts and deletes;
 * - list: `POST {documents}:runQuery`, `key >= prefix AND key < successor(prefix) ORDER BY key LIMIT n` (Firestore
 *   orders strings by UTF-8 bytes, i.e. code points, as the port requires).
 *
 * Errors: ALREADY_EXISTS/ABORTED (409) and, for writes, FAILED_PRECONDITION (400) or HTTP 412 → `conflict`;
 * NOT_FOUND → `not_found`; UNAUTHENTICATED/PERMISSION_DENIED (401/403) → `unauthorized`; RESOURCE_EXHAUSTED (429)
 * → `throttled`; UNAVAILABLE/DEADLINE_EXCEEDED/INTERNAL (5xx), network failures and the deadline →
 * `unavailable`. FAILED_PRECONDITION on a read or query (e.g. a missing index) is `internal`, not a lost race.
 * The bearer token is never part of an error.
 */
import { MeshgateError } from '../../core/errors';
import type { VersionedRecord } from '../../ports/key-value-store';
import {
  codeForHttpStatus,
  encodeKeyAsId,
  fromStored,
  isNetworkError,
  prefixUpperBound,
  ReadCompareWriteKeyValueStore,
  storeError,
  toStored,
  type BaseKeyValueStoreOptions,
  type ReadForWrite,
  type StoreOperation,
} from '../_base/base-key-value-store';
import { metadataServerTokenProvider, serviceAccountTokenProvider, type ServiceAccountKey, type TokenProvider } from './google-auth';

/** Firestore's document id limit is 1500 bytes; encoded ids are ASCII. */
const MAX_ID_LENGTH = 1500;
/** Longest server message kept in an error. */
const MAX_MESSAGE_LENGTH = 300;
export const FIRESTORE_API_ORIGIN = 'https://firestore.googleapis.com';
/** What the Firestore emulator accepts as a token with full access (security rules bypassed). */
export const EMULATOR_TOKEN = 'owner';

/** A Firestore REST error: HTTP status plus the google.rpc status name from `{error: {code, status, message}}`. */
export class FirestoreRestError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly rpcStatus: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'FirestoreRestError';
  }
}

/** A Firestore `Value` as JSON (only the kinds this adapter writes or may read back). */
type FirestoreValue =
  | { stringValue: string }
  | { booleanValue: boolean }
  | { integerValue: string }
  | { doubleValue: number }
  | { nullValue: null };

interface FirestoreDocument {
  name?: string;
  fields?: Record<string, unknown>;
  updateTime?: string;
}

export interface FirestoreRestKeyValueStoreOptions extends BaseKeyValueStoreOptions {
  readonly projectId: string;
  readonly collection: string;
  /** Named database (default `(default)`). */
  readonly databaseId?: string;
  /** `https://firestore.googleapis.com` (default) or `http://host:port` for the emulator. */
  readonly origin?: string;
  /** Bearer token for each request (cache inside; see google-auth.ts). */
  readonly tokenProvider: TokenProvider;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

export class FirestoreRestKeyValueStore extends ReadCompareWriteKeyValueStore<string> {
  readonly name = 'firestore';
  /** `projects/P/databases/D/documents`: the parent of every document name. */
  private readonly documentsName: string;
  /** `{origin}/v1/{documentsName}`. */
  private readonly documentsUrl: string;
  private readonly collection: string;
  private readonly tokenProvider: TokenProvider;
  private readonly fetchApi: typeof fetch;

  constructor(options: FirestoreRestKeyValueStoreOptions) {
    super(options);
    const { projectId, collection } = options;
    const databaseId = options.databaseId ?? '(default)';
    for (const [what, value] of [['projectId', projectId], ['collection', collection], ['databaseId', databaseId]] as const) {
      if (typeof value !== 'string' || value === '' || value.includes('/')) {
        throw new MeshgateError('validation', `firestore: ${what} must be a non-empty string without "/"`);
      }
    }
    this.collection = collection;
    this.documentsName = `projects/${projectId}/databases/${databaseId}/documents`;
    const origin = (options.origin ?? FIRESTORE_API_ORIGIN).replace(/\/+$/, '');
    this.documentsUrl = `${origin}/v1/projects/${encodeURIComponent(projectId)}/databases/${encodeURIComponent(databaseId)}/documents`;
    this.tokenProvider = options.tokenProvider;
    this.fetchApi = options.fetch ?? globalThis.fetch;
  }

  /** Nothing to release (requests use the global fetch's connection pool); kept for symmetry with the SDK adapter. */
  async close(): Promise<void> {}

  protected override async readForWrite(key: string): Promise<ReadForWrite<string> | undefined> {
    const id = encodeKeyAsId(key, MAX_ID_LENGTH);
    try {
      const doc = (await this.call('GET', `${this.documentsUrl}/${encodeURIComponent(this.collection)}/${id}`)) as FirestoreDocument;
      if (typeof doc.updateTime !== 'string') throw new FirestoreRestError(200, undefined, `document ${id} has no updateTime`);
      return { record: fromStored(decodeFields(doc.fields), this.name), token: doc.updateTime };
    } catch (err) {
      if (err instanceof FirestoreRestError && err.rpcStatus === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  protected override async insert(record: VersionedRecord): Promise<'ok' | 'exists'> {
    try {
      await this.commit({ update: this.document(record), currentDocument: { exists: false } });
      return 'ok';
    } catch (err) {
      if (err instanceof FirestoreRestError && (err.rpcStatus === 'ALREADY_EXISTS' || err.httpStatus === 409)) return 'exists';
      throw err;
    }
  }

  protected override async replace(record: VersionedRecord, updateTime: string): Promise<'ok' | 'changed'> {
    try {
      // An update without a mask replaces the whole document.
      await this.commit({ update: this.document(record), currentDocument: { updateTime } });
      return 'ok';
    } catch (err) {
      if (isChanged(err)) return 'changed';
      throw err;
    }
  }

  protected override async upsert(record: VersionedRecord): Promise<void> {
    await this.commit({ update: this.document(record) });
  }

  protected override async remove(key: string, updateTime: string | undefined): Promise<'ok' | 'missing' | 'changed'> {
    try {
      await this.commit({ delete: this.documentName(key), ...(updateTime === undefined ? {} : { currentDocument: { updateTime } }) });
      return 'ok'; // Firestore deletes of missing documents succeed: nothing to tell apart without a precondition
    } catch (err) {
      if (isChanged(err)) return 'changed';
      throw err;
    }
  }

  protected override async listRecords(prefix: string, limit: number | undefined): Promise<VersionedRecord[]> {
    const field = { fieldPath: 'key' };
    const filters: unknown[] = [];
    if (prefix !== '') {
      filters.push({ fieldFilter: { field, op: 'GREATER_THAN_OR_EQUAL', value: { stringValue: prefix } } });
      const bound = prefixUpperBound(prefix);
      if (bound !== undefined) filters.push({ fieldFilter: { field, op: 'LESS_THAN', value: { stringValue: bound } } });
    }
    const structuredQuery = {
      from: [{ collectionId: this.collection }],
      ...(filters.length === 0 ? {} : { where: filters.length === 1 ? filters[0] : { compositeFilter: { op: 'AND', filters } } }),
      orderBy: [{ field, direction: 'ASCENDING' }],
      ...(limit === undefined ? {} : { limit }),
    };
    // The REST answer is the whole result stream as one JSON array: [{document?, readTime, done?} | {error}].
    const answer = await this.call('POST', `${this.documentsUrl}:runQuery`, { structuredQuery });
    if (!Array.isArray(answer)) throw new FirestoreRestError(200, undefined, 'runQuery answer is not an array');
    const out: VersionedRecord[] = [];
    for (const item of answer as Array<{ document?: FirestoreDocument; error?: unknown }>) {
      if (item.error !== undefined) throw errorFromBody(200, item);
      if (item.document) out.push(fromStored(decodeFields(item.document.fields), this.name));
    }
    return out.filter((record) => record.key.startsWith(prefix));
  }

  protected override translateError(err: unknown, op: StoreOperation, key: string): MeshgateError {
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof FirestoreRestError)) {
      if (isNetworkError(err)) return storeError('unavailable', this.name, op, key, message, { cause: err });
      return storeError('internal', this.name, op, key, message, { cause: err });
    }
    const extra = { cause: err, details: { httpStatus: err.httpStatus, rpcStatus: err.rpcStatus } };
    const write = op === 'put' || op === 'delete';
    switch (err.rpcStatus) {
      case 'ALREADY_EXISTS':
      case 'ABORTED':
        return storeError('conflict', this.name, op, key, message, extra);
      case 'FAILED_PRECONDITION':
        // A write's precondition lost a race; on a read or query it means e.g. a missing index: not the caller's race.
        return storeError(write ? 'conflict' : 'internal', this.name, op, key, message, extra);
      case 'NOT_FOUND':
        return storeError('not_found', this.name, op, key, message, extra);
      case 'INVALID_ARGUMENT':
      case 'OUT_OF_RANGE':
        return storeError('validation', this.name, op, key, message, extra);
      case 'UNAUTHENTICATED':
      case 'PERMISSION_DENIED':
        return storeError('unauthorized', this.name, op, key, message, extra);
      case 'RESOURCE_EXHAUSTED':
        return storeError('throttled', this.name, op, key, message, extra);
      case 'UNAVAILABLE':
      case 'DEADLINE_EXCEEDED':
      case 'INTERNAL':
      case 'CANCELLED':
        return storeError('unavailable', this.name, op, key, message, extra);
    }
    if (err.httpStatus === 409 || (err.httpStatus === 412 && write)) return storeError('conflict', this.name, op, key, message, extra);
    if (err.httpStatus === 404) return storeError('not_found', this.name, op, key, message, extra);
    return storeError(codeForHttpStatus(err.httpStatus) ?? 'internal', this.name, op, key, message, extra);
  }

  private documentName(key: string): string {
    return `${this.documentsName}/${this.collection}/${encodeKeyAsId(key, MAX_ID_LENGTH)}`;
  }

  private document(record: VersionedRecord): { name: string; fields: Record<string, FirestoreValue> } {
    const stored = toStored(record);
    return {
      name: this.documentName(record.key),
      fields: {
        key: { stringValue: stored.key },
        version: { stringValue: stored.version },
        value: { stringValue: stored.value },
        deleted: { booleanValue: stored.deleted },
        // Integers as the SDK writes safe integers, so both adapters read each other's documents.
        expiresAt: stored.expiresAt === null ? { nullValue: null } : { integerValue: String(stored.expiresAt) },
      },
    };
  }

  private async commit(write: Record<string, unknown>): Promise<void> {
    await this.call('POST', `${this.documentsUrl}:commit`, { writes: [write] });
  }

  /** One request; resolves the parsed JSON answer, rejects with {@link FirestoreRestError} for any non-2xx. */
  private async call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
    const token = await this.tokenProvider();
    const response = await this.fetchApi(url, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(this.timeoutMs > 0 ? { signal: AbortSignal.timeout(this.timeoutMs) } : {}),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw errorFromBody(response.status, parsed, token);
    if (parsed === undefined && text !== '') throw new FirestoreRestError(response.status, undefined, 'answer is not JSON');
    return parsed;
  }
}

/** Builds the error from `{error: {code, status, message}}` (or just the status), with any echo of the token removed. */
function errorFromBody(httpStatus: number, body: unknown, token?: string): FirestoreRestError {
  const error = (body as { error?: { status?: unknown; message?: unknown; code?: unknown } } | undefined)?.error;
  const rpcStatus = typeof error?.status === 'string' ? error.status : undefined;
  const status = typeof error?.code === 'number' ? error.code : httpStatus;
  let message = typeof error?.message === 'string' ? error.message.slice(0, MAX_MESSAGE_LENGTH) : `HTTP ${httpStatus}`;
  if (token) message = message.split(token).join('[redacted]');
  return new FirestoreRestError(status, rpcStatus, `${rpcStatus ?? `HTTP ${status}`}: ${message}`);
}

/** A guarded write found the document changed or gone since it was read. */
function isChanged(err: unknown): boolean {
  if (!(err instanceof FirestoreRestError)) return false;
  return err.rpcStatus === 'FAILED_PRECONDITION' || err.rpcStatus === 'NOT_FOUND' || err.httpStatus === 412;
}

/** Document fields back to plain values for {@link fromStored}; kinds this adapter never writes become undefined. */
function decodeFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(fields ?? {})) {
    const value = (raw ?? {}) as Partial<Record<string, unknown>>;
    if (typeof value.stringValue === 'string') out[name] = value.stringValue;
    else if (typeof value.booleanValue === 'boolean') out[name] = value.booleanValue;
    else if (typeof value.integerValue === 'string' || typeof value.integerValue === 'number') out[name] = Number(value.integerValue);
    else if (typeof value.doubleValue === 'number') out[name] = value.doubleValue;
    else if ('nullValue' in value) out[name] = null;
  }
  return out;
}

export interface FirestoreRestKeyValueStoreConfig {
  readonly projectId: string;
  readonly collection: string;
  /** Named database (default `(default)`). */
  readonly databaseId?: string;
  /** `host:port` of the Firestore emulator: plain HTTP and the emulator's `owner` token, no credentials. */
  readonly emulatorHost?: string;
  /**
   * Service account key (outside GCP: the AWS and Azure function sets). Omitted: the metadata server's token
   * for the runtime's service account (inside GCP).
   */
  readonly credentials?: ServiceAccountKey;
  /** Deadline per store call in ms (default 3000). */
  readonly timeoutMs?: number;
}

/**
 * Builds a store for production (firestore.googleapis.com with a service account key or the metadata server) or
 * for the emulator. Unlike the SDK, nothing here reads `FIRESTORE_EMULATOR_HOST`: the config alone decides.
 */
export function createFirestoreRestKeyValueStore(config: FirestoreRestKeyValueStoreConfig): FirestoreRestKeyValueStore {
  const emulator = config.emulatorHost;
  const tokenProvider: TokenProvider =
    emulator !== undefined
      ? async () => EMULATOR_TOKEN
      : config.credentials !== undefined
        ? serviceAccountTokenProvider(config.credentials)
        : metadataServerTokenProvider();
  return new FirestoreRestKeyValueStore({
    projectId: config.projectId,
    collection: config.collection,
    tokenProvider,
    ...(emulator === undefined ? {} : { origin: `http://${emulator}` }),
    ...(config.databaseId === undefined ? {} : { databaseId: config.databaseId }),
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
  });
}
