/**
 * Cloud-neutral skeleton of a {@link KeyValueStore} adapter (template method; no SDK imports).
 *
 * {@link BaseKeyValueStore} owns everything the adapters would otherwise copy: validation of keys, records,
 * conditions and list options (so every store rejects exactly the same input, before any I/O), the stored
 * representation, the per-operation deadline, and the translation of unknown failures into `MeshgateError`.
 * Subclasses implement four `protected abstract` primitives and one error translator.
 *
 * Stores without a native "compare a version" write (Cosmos DB, Firestore) extend
 * {@link ReadCompareWriteKeyValueStore} instead: it implements `put`/`delete` conditions as read, compare, then
 * a write guarded by the store's own optimistic token (ETag, update time), and only asks for those primitives.
 *
 * The limits every store enforces identically are the port's, documented on {@link VersionedRecord} and
 * {@link KeyValueStore}.
 */
import { createHash } from 'node:crypto';
import { MeshgateError, isMeshgateError, type ErrorCode } from '../../core/errors';
import { DEFAULT_MAX_VALUE_BYTES, MAX_KEY_BYTES, MAX_KEY_LENGTH, compareKeys, utf8Length } from '../../core/replication';
import type { JsonValue, KeyValueStore, ListOptions, PutCondition, VersionedRecord } from '../../ports/key-value-store';

// One definition of the key limits and the key order for the replicated store (core/replication.ts) and every
// single store, so the two cannot disagree.
export { MAX_KEY_BYTES, MAX_KEY_LENGTH, compareKeys, utf8Length };
export const MAX_VERSION_LENGTH = 128;
/** Serialised value limit: leaves room for the rest of the item under DynamoDB's 400 KB item limit. */
export const MAX_VALUE_BYTES = DEFAULT_MAX_VALUE_BYTES;
/** Default deadline for one store call; a dead or hung store answers `unavailable` after this. */
export const DEFAULT_TIMEOUT_MS = 3_000;
const MAX_VALUE_DEPTH = 64;

export type StoreOperation = 'get' | 'put' | 'delete' | 'list';

// ---------------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------------

const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const VERSION_PATTERN = /^[\x21-\x7e]+$/;

const invalid = (message: string, details: Record<string, unknown> = {}): MeshgateError =>
  new MeshgateError('validation', message, { details });

const describeChar = (text: string, index: number): string =>
  `U+${(text.codePointAt(index) ?? 0).toString(16).toUpperCase().padStart(4, '0')} at index ${index}`;

function checkText(text: string, what: string): void {
  const control = CONTROL_CHAR.exec(text);
  if (control) throw invalid(`${what} must not contain control characters (found ${describeChar(text, control.index)})`);
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate) throw invalid(`${what} must be well-formed Unicode (unpaired surrogate at index ${surrogate.index})`);
}

export function validateKey(key: unknown, what = 'key'): string {
  if (typeof key !== 'string') throw invalid(`${what} must be a string, got ${typeof key}`);
  if (key.length === 0) throw invalid(`${what} must not be empty`);
  if (key.length > MAX_KEY_LENGTH) throw invalid(`${what} is ${key.length} characters long; the limit is ${MAX_KEY_LENGTH}`);
  checkText(key, what);
  const bytes = utf8Length(key);
  if (bytes > MAX_KEY_BYTES) throw invalid(`${what} is ${bytes} bytes in UTF-8; the limit is ${MAX_KEY_BYTES}`);
  return key;
}

/** A list prefix: like a key, but may be empty (everything). */
export function validatePrefix(prefix: unknown): string {
  if (prefix === '') return prefix;
  return validateKey(prefix, 'prefix');
}

export function validateVersion(version: unknown, what = 'version'): string {
  if (typeof version !== 'string') throw invalid(`${what} must be a string, got ${typeof version}`);
  if (version.length === 0) throw invalid(`${what} must not be empty`);
  if (version.length > MAX_VERSION_LENGTH) throw invalid(`${what} is ${version.length} characters long; the limit is ${MAX_VERSION_LENGTH}`);
  if (!VERSION_PATTERN.test(version)) throw invalid(`${what} "${version}" must use printable ASCII only (no spaces)`);
  return version;
}

function checkJson(value: unknown, path: string, depth: number, seen: Set<object>): void {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(`${path} is ${value}, which JSON cannot represent`);
    return;
  }
  if (typeof value !== 'object') throw invalid(`${path} is a ${typeof value}, which is not JSON`);
  if (depth > MAX_VALUE_DEPTH) throw invalid(`${path} nests deeper than ${MAX_VALUE_DEPTH} levels`);
  if (seen.has(value)) throw invalid(`${path} is a circular reference`);
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      if (!(i in value)) throw invalid(`${path}[${i}] is a hole in a sparse array, which is not JSON`);
      checkJson(value[i], `${path}[${i}]`, depth + 1, seen);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw invalid(`${path} is a ${kind}, not a plain JSON object`);
    }
    for (const [name, child] of Object.entries(value)) checkJson(child, `${path}.${name}`, depth + 1, seen);
  }
  seen.delete(value);
}

/**
 * Checks a record and returns a normalised copy (`deleted` only when true, `expiresAt` only when set).
 * Throws `validation` naming the offending field.
 */
export function validateRecord(record: unknown): VersionedRecord {
  if (typeof record !== 'object' || record === null) throw invalid('record must be an object');
  const r = record as Record<string, unknown>;
  const key = validateKey(r.key, 'record.key');
  const version = validateVersion(r.version, 'record.version');
  if (!('value' in r) || r.value === undefined) throw invalid('record.value is missing (use null for "no value")');
  checkJson(r.value, 'record.value', 0, new Set());
  const value = r.value as JsonValue;
  if (r.deleted !== undefined && typeof r.deleted !== 'boolean') throw invalid('record.deleted must be a boolean');
  const deleted = r.deleted === true;
  if (deleted && value !== null) throw invalid('record.value must be null for a tombstone (deleted: true)');
  if (r.expiresAt !== undefined && (typeof r.expiresAt !== 'number' || !Number.isSafeInteger(r.expiresAt) || r.expiresAt < 0)) {
    throw invalid(`record.expiresAt must be a non-negative integer (epoch ms), got ${String(r.expiresAt)}`);
  }
  const bytes = utf8Length(JSON.stringify(value));
  if (bytes > MAX_VALUE_BYTES) throw invalid(`record.value is ${bytes} bytes as JSON; the limit is ${MAX_VALUE_BYTES}`);
  return {
    key,
    value,
    version,
    ...(deleted ? { deleted: true } : {}),
    ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt as number } : {}),
  };
}

export function validateCondition(condition: unknown): PutCondition | undefined {
  if (condition === undefined) return undefined;
  if (typeof condition !== 'object' || condition === null) throw invalid('condition must be an object');
  const c = condition as Record<string, unknown>;
  switch (c.kind) {
    case 'absent':
      return { kind: 'absent' };
    case 'older':
      return { kind: 'older' };
    case 'version':
      return { kind: 'version', version: validateVersion(c.version, 'condition.version') };
    default:
      throw invalid(`condition.kind must be 'absent', 'version' or 'older', got ${JSON.stringify(c.kind)}`);
  }
}

export function validateLimit(options: ListOptions | undefined): number | undefined {
  const limit: unknown = options?.limit;
  if (limit === undefined) return undefined;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw invalid(`options.limit must be a positive integer, got ${String(limit)}`);
  }
  return limit;
}

// ---------------------------------------------------------------------------------------------------------------
// Keys: ordering, prefixes, partitions and document ids
// ---------------------------------------------------------------------------------------------------------------

/**
 * Smallest string (in code point order) greater than every string that starts with `prefix`, for range
 * queries (`key >= prefix AND key < bound`). `undefined` when there is no such bound (empty prefix).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0) ?? 0);
  while (points.length > 0) {
    const last = points.pop() ?? 0;
    if (last < 0x10ffff) {
      points.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
      return String.fromCodePoint(...points);
    }
  }
  return undefined;
}

/**
 * Partition of a key for stores that group items (DynamoDB partition key, Cosmos DB partition key): the text up
 * to and including the first `/`, or the whole key when it has none. Every key that starts with a prefix
 * containing `/` lives in `partitionOf(prefix)`, so such a list stays inside one partition.
 */
export function partitionOf(keyOrPrefix: string): string {
  const slash = keyOrPrefix.indexOf('/');
  return slash < 0 ? keyOrPrefix : keyOrPrefix.slice(0, slash + 1);
}

/** Whether every key starting with `prefix` is in one partition (see {@link partitionOf}). */
export const isSinglePartitionPrefix = (prefix: string): boolean => prefix.includes('/');

const ID_SAFE = /[A-Za-z0-9-]/;

/**
 * Encodes a key as a document id that Cosmos DB (no `/ \ ? #`, at most 255 characters) and Firestore (no `/`,
 * not `.`/`..`/`__x__`, at most 1500 bytes) accept. Readable and order-free: letters, digits and `-` stay,
 * every other UTF-8 byte becomes `_xx` (lowercase hex). When that is longer than `maxLength`, the id is
 * `_h` + base64url(SHA-256(key)); `_h` never occurs in the escaped form, so the mapping stays injective.
 * Ids are not used for ordering: stores order by the stored `key` field.
 */
export function encodeKeyAsId(key: string, maxLength: number): string {
  let out = '';
  for (const ch of key) {
    if (ID_SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `_${byte.toString(16).padStart(2, '0')}`;
    if (out.length > maxLength) break;
  }
  if (out.length <= maxLength) return out;
  return `_h${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Stored representation
// ---------------------------------------------------------------------------------------------------------------

/**
 * How a record is stored by the cloud adapters: the value as JSON text (exact round trip, no store-specific
 * restrictions such as Firestore's nested arrays or reserved map keys), optional fields made explicit.
 */
export interface StoredRecord {
  key: string;
  version: string;
  value: string;
  deleted: boolean;
  expiresAt: number | null;
}

export function toStored(record: VersionedRecord): StoredRecord {
  return {
    key: record.key,
    version: record.version,
    value: JSON.stringify(record.value),
    deleted: record.deleted === true,
    expiresAt: record.expiresAt ?? null,
  };
}

/** Reads a stored item back; anything malformed is `internal` (someone else wrote into our table). */
export function fromStored(item: unknown, store: string): VersionedRecord {
  const s = (typeof item === 'object' && item !== null ? item : {}) as Partial<Record<keyof StoredRecord, unknown>>;
  if (typeof s.key !== 'string' || typeof s.version !== 'string' || typeof s.value !== 'string') {
    throw new MeshgateError('internal', `${store}: malformed item (missing key, version or value)`, {
      details: { store, key: typeof s.key === 'string' ? s.key : undefined },
    });
  }
  let value: JsonValue;
  try {
    value = JSON.parse(s.value) as JsonValue;
  } catch (err) {
    throw new MeshgateError('internal', `${store}: item "${s.key}" holds a value that is not JSON`, { cause: err, details: { store, key: s.key } });
  }
  const expiresAt = typeof s.expiresAt === 'number' ? s.expiresAt : typeof s.expiresAt === 'string' ? Number(s.expiresAt) : undefined;
  return {
    key: s.key,
    value,
    version: s.version,
    ...(s.deleted === true ? { deleted: true } : {}),
    ...(expiresAt !== undefined && Number.isFinite(expiresAt) ? { expiresAt } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

export function storeError(
  code: ErrorCode,
  store: string,
  op: StoreOperation,
  key: string,
  message: string,
  extra: { cause?: unknown; details?: Record<string, unknown> } = {},
): MeshgateError {
  return new MeshgateError(code, `${store}: ${op} "${key}": ${message}`, {
    cause: extra.cause,
    details: { store, op, key, ...extra.details },
  });
}

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'REQUEST_SEND_ERROR',
  'TimeoutError',
  'AbortError',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Transport failures named only in a message: SDKs sometimes re-wrap an error and keep just its text (the AWS
 * SDK does so for errors from another realm, e.g. under jest's VM sandbox).
 */
const NETWORK_MESSAGE = /\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND)\b|socket hang up/;

/** True for transport failures (refused, reset, timed out, DNS) shared by the HTTP-based SDKs. */
export function isNetworkError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as { code?: unknown; name?: unknown; cause?: unknown; message?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (typeof e.name === 'string' && (e.name === 'TimeoutError' || e.name === 'AbortError')) return true;
  if (typeof e.message === 'string' && NETWORK_MESSAGE.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err && isNetworkError(e.cause, depth + 1);
}

/** Error code for an HTTP status from a store's API, `undefined` when the status says nothing general. */
export function codeForHttpStatus(status: number | undefined): ErrorCode | undefined {
  if (status === undefined) return undefined;
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 408 || status >= 500) return 'unavailable';
  return undefined;
}

class DeadlineExceeded extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// The template
// ---------------------------------------------------------------------------------------------------------------

export interface BaseKeyValueStoreOptions {
  /** Deadline per call in ms (default {@link DEFAULT_TIMEOUT_MS}); `0` disables it (in-memory stores). */
  readonly timeoutMs?: number;
}

export abstract class BaseKeyValueStore implements KeyValueStore {
  abstract readonly name: string;
  protected readonly timeoutMs: number;
  /** SDK calls not yet settled, including those whose caller was already answered `unavailable`. */
  private readonly inFlight = new Set<Promise<unknown>>();

  protected constructor(options: BaseKeyValueStoreOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async get(key: string): Promise<VersionedRecord | undefined> {
    const k = validateKey(key);
    return this.run('get', k, (signal) => this.getRecord(k, signal));
  }

  async put(record: VersionedRecord, condition?: PutCondition): Promise<void> {
    const r = validateRecord(record);
    const c = validateCondition(condition);
    return this.run('put', r.key, (signal) => this.putRecord(r, c, signal));
  }

  async delete(key: string, expectedVersion?: string): Promise<void> {
    const k = validateKey(key);
    const v = expectedVersion === undefined ? undefined : validateVersion(expectedVersion, 'expectedVersion');
    return this.run('delete', k, (signal) => this.deleteRecord(k, v, signal));
  }

  async list(prefix: string, options?: ListOptions): Promise<VersionedRecord[]> {
    const p = validatePrefix(prefix);
    const limit = validateLimit(options);
    return this.run('list', p, (signal) => this.listRecords(p, limit, signal));
  }

  // Primitives. Input is validated and normalised. `signal` aborts when the call's deadline passes: the caller
  // has been told `unavailable` already, so pass it to the SDK where it can cancel, and never start another
  // step of a multi-step write after it fired.

  /** Reads one record (tombstones included), `undefined` when absent. */
  protected abstract getRecord(key: string, signal: AbortSignal): Promise<VersionedRecord | undefined>;
  /** Writes honouring `condition`; throws {@link conflict} when it fails. */
  protected abstract putRecord(record: VersionedRecord, condition: PutCondition | undefined, signal: AbortSignal): Promise<void>;
  /** Physical delete; with `expectedVersion` throws {@link conflict} / {@link notFound}, otherwise idempotent. */
  protected abstract deleteRecord(key: string, expectedVersion: string | undefined, signal: AbortSignal): Promise<void>;
  /** Records whose key starts with `prefix`, ascending by {@link compareKeys}, at most `limit`. */
  protected abstract listRecords(prefix: string, limit: number | undefined, signal: AbortSignal): Promise<VersionedRecord[]>;
  /** Maps an SDK failure onto a `MeshgateError` (only called for errors that are not one already). */
  protected abstract translateError(err: unknown, op: StoreOperation, key: string): MeshgateError;

  protected conflict(op: StoreOperation, key: string, message: string, currentVersion?: string): MeshgateError {
    return storeError('conflict', this.name, op, key, message, currentVersion === undefined ? {} : { details: { currentVersion } });
  }

  protected notFound(op: StoreOperation, key: string, message: string): MeshgateError {
    return storeError('not_found', this.name, op, key, message);
  }

  /** Checks `condition` against the current record (read by the caller) and throws `conflict` when it fails. */
  protected checkPutCondition(current: VersionedRecord | undefined, record: VersionedRecord, condition: PutCondition | undefined): void {
    if (!condition) return;
    const key = record.key;
    switch (condition.kind) {
      case 'absent':
        if (current) throw this.conflict('put', key, `key already exists (version ${current.version}${current.deleted ? ', tombstone' : ''})`, current.version);
        return;
      case 'version':
        if (!current) throw this.conflict('put', key, `expected version ${condition.version} but the key does not exist`);
        if (current.version !== condition.version) {
          throw this.conflict('put', key, `expected version ${condition.version} but found ${current.version}`, current.version);
        }
        return;
      case 'older':
        if (current && !(current.version < record.version)) {
          throw this.conflict('put', key, `stored version ${current.version} is not older than ${record.version}`, current.version);
        }
        return;
    }
  }

  /** Checks a versioned delete against the current record: `not_found` when missing, `conflict` on mismatch. */
  protected checkDeleteCondition(current: VersionedRecord | undefined, key: string, expectedVersion: string): void {
    if (!current) throw this.notFound('delete', key, `expected version ${expectedVersion} but the key does not exist`);
    if (current.version !== expectedVersion) {
      throw this.conflict('delete', key, `expected version ${expectedVersion} but found ${current.version}`, current.version);
    }
  }

  private async run<T>(op: StoreOperation, key: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    try {
      return await this.withDeadline(this.tracked(call(controller.signal)), controller);
    } catch (err) {
      if (isMeshgateError(err)) throw err;
      if (err instanceof DeadlineExceeded) {
        throw storeError('unavailable', this.name, op, key, `no answer within ${this.timeoutMs} ms${op === 'put' || op === 'delete' ? ' (the write may still happen)' : ''}`);
      }
      throw this.translateError(err, op, key);
    }
  }

  private tracked<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = (): void => void this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /**
   * Resolves `true` once every call started so far has settled (also those that outlived their deadline), or
   * `false` after `maxMs`. For adapters whose client must not be closed under a call it is still retrying.
   */
  protected async whenIdle(maxMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), maxMs);
    });
    const idle = Promise.allSettled([...this.inFlight]).then(() => true as const);
    try {
      return await Promise.race([idle, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  private withDeadline<T>(work: Promise<T>, controller: AbortController): Promise<T> {
    if (this.timeoutMs <= 0) return work;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const exceeded = new DeadlineExceeded();
        reject(exceeded);
        controller.abort(exceeded);
      }, this.timeoutMs);
    });
    work.catch(() => undefined); // a late failure after the deadline must not become an unhandled rejection
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Read, compare, then write guarded by an optimistic token (Cosmos DB ETag, Firestore update time)
// ---------------------------------------------------------------------------------------------------------------

/** A record as read for a conditional write, with the store's token for "unchanged since this read". */
export interface ReadForWrite<Token> {
  readonly record: VersionedRecord;
  readonly token: Token;
}

/**
 * How often an `older` put re-reads after losing a race between its read and its write. Each lost round means
 * another writer succeeded, so this bounds the work under contention; afterwards the put answers `conflict`.
 */
export const MAX_OLDER_ATTEMPTS = 8;

export abstract class ReadCompareWriteKeyValueStore<Token> extends BaseKeyValueStore {
  /** Reads a record with its token, `undefined` when absent. */
  protected abstract readForWrite(key: string, signal: AbortSignal): Promise<ReadForWrite<Token> | undefined>;
  /** Creates the record only if the key is absent. */
  protected abstract insert(record: VersionedRecord, signal: AbortSignal): Promise<'ok' | 'exists'>;
  /** Replaces the record only if it still carries `token` (`changed` when it differs or has gone). */
  protected abstract replace(record: VersionedRecord, token: Token, signal: AbortSignal): Promise<'ok' | 'changed'>;
  /** Unconditional write. */
  protected abstract upsert(record: VersionedRecord, signal: AbortSignal): Promise<void>;
  /** Deletes; with `token` only if unchanged. `missing` when there was nothing to delete. */
  protected abstract remove(key: string, token: Token | undefined, signal: AbortSignal): Promise<'ok' | 'missing' | 'changed'>;

  protected override async getRecord(key: string, signal: AbortSignal): Promise<VersionedRecord | undefined> {
    return (await this.readForWrite(key, signal))?.record;
  }

  protected override async putRecord(record: VersionedRecord, condition: PutCondition | undefined, signal: AbortSignal): Promise<void> {
    if (!condition) return this.upsert(record, signal);
    if (condition.kind === 'absent') {
      if ((await this.insert(record, signal)) === 'exists') throw this.conflict('put', record.key, 'key already exists');
      return;
    }
    const attempts = condition.kind === 'older' ? MAX_OLDER_ATTEMPTS : 1;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const current = await this.readForWrite(record.key, signal);
      this.checkPutCondition(current?.record, record, condition);
      signal.throwIfAborted(); // the caller has given up: do not write on the strength of a stale read
      const outcome = current ? await this.replace(record, current.token, signal) : await this.insert(record, signal);
      if (outcome === 'ok') return;
    }
    throw this.conflict(
      'put',
      record.key,
      condition.kind === 'older' ? `lost ${attempts} races against concurrent writers` : 'modified concurrently',
    );
  }

  protected override async deleteRecord(key: string, expectedVersion: string | undefined, signal: AbortSignal): Promise<void> {
    if (expectedVersion === undefined) {
      await this.remove(key, undefined, signal);
      return;
    }
    const current = await this.readForWrite(key, signal);
    this.checkDeleteCondition(current?.record, key, expectedVersion);
    if (!current) return; // unreachable: checkDeleteCondition threw
    signal.throwIfAborted();
    const outcome = await this.remove(key, current.token, signal);
    if (outcome === 'ok') return;
    // Lost a race: say what happened instead (deleted meanwhile -> not_found, rewritten -> conflict).
    const now = await this.readForWrite(key, signal);
    if (!now) throw this.notFound('delete', key, 'deleted concurrently');
    throw this.conflict('delete', key, `modified concurrently (now ${now.record.version})`, now.record.version);
  }
}
