/**
 * Pure decisions of the replicated store: input validation, consistency per key space, quorum tallies for
 * reads and writes, which replicas are stale, causal session tokens and retry backoff.
 *
 * No I/O and no clock: callers pass the time and the random draw in. The records here are structurally the
 * `VersionedRecord` of the key-value port (core does not import ports), so the orchestration in
 * `shared/usecases/replicated-store.ts` passes its records straight through.
 */
import { MeshgateError } from './errors';
import { compareVersions, decodeHlc } from './hlc';

/** Consistency of a key space; the same union as the state-store port's `Consistency`. */
export type ConsistencyLevel = 'strong' | 'eventual' | 'causal';

/** A record as one replica holds it (structurally the key-value port's `VersionedRecord`). */
export interface ReplicaRecord {
  readonly key: string;
  readonly value: unknown;
  /** Encoded HLC; encoded versions sort in HLC order. */
  readonly version: string;
  readonly deleted?: boolean;
  readonly expiresAt?: number;
}

/** Precondition a replica write is pinned to (the key-value port's `PutCondition` minus `older`). */
export type PinnedCondition = { readonly kind: 'absent' } | { readonly kind: 'version'; readonly version: string };

// ---------------------------------------------------------------------------------------------------------
// Input validation: every check runs before any store is touched.

export const MAX_KEY_LENGTH = 512;
/** DynamoDB's sort-key limit; the tightest of the three stores. */
export const MAX_KEY_BYTES = 1024;
/** Default ceiling on a value's JSON size: below DynamoDB's 400 KB item limit, with room for attributes. */
export const DEFAULT_MAX_VALUE_BYTES = 350 * 1024;
const MAX_VALUE_DEPTH = 64;
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function validation(message: string, details: Record<string, unknown> = {}): MeshgateError {
  return new MeshgateError('validation', message, { details });
}

/** Short, printable rendering of a caller-supplied value for error messages. */
export function describeInput(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  return typeof value;
}

const RULE = `use 1-${MAX_KEY_LENGTH} characters (at most ${MAX_KEY_BYTES} bytes of UTF-8), well-formed Unicode, no control characters`;

function keyProblem(key: string): string | undefined {
  if (key.length > MAX_KEY_LENGTH) return `${key.length} characters`;
  if (CONTROL_CHARS.test(key)) return 'contains a control character';
  if (LONE_SURROGATE.test(key)) return 'contains an unpaired surrogate';
  if (utf8Length(key) > MAX_KEY_BYTES) return `${utf8Length(key)} bytes of UTF-8`;
  return undefined;
}

/**
 * Checks a key against the rules every store enforces (the tightest backend decides): 1-512 characters, at most
 * 1024 bytes of UTF-8, well-formed Unicode, no C0/C1 control characters. Throws `validation`.
 */
export function validateKey(key: unknown): string {
  const problem = typeof key !== 'string' ? 'not a string' : key.length === 0 ? 'empty' : keyProblem(key);
  if (problem !== undefined) throw validation(`invalid key ${describeInput(key)} (${problem}): ${RULE}`);
  return key as string;
}

/** Checks a list prefix: like a key, but may be empty (which lists everything). */
export function validatePrefix(prefix: unknown): string {
  const problem = typeof prefix !== 'string' ? 'not a string' : keyProblem(prefix);
  if (problem !== undefined) throw validation(`invalid prefix ${describeInput(prefix)} (${problem}): ${RULE.replace('1-', '0-')}`);
  return prefix as string;
}

/**
 * Orders keys by Unicode code point (UTF-8 byte order), the order the stores list in. Plain `<` on JavaScript
 * strings differs for characters above U+FFFF versus U+E000-U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Checks a list limit: a positive integer, or undefined for all. */
export function validateLimit(limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw validation(`invalid limit ${describeInput(limit)}: use a positive integer`);
  }
  return limit;
}

/** Checks a time to live: a positive integer number of milliseconds. */
export function validateTtl(ttlMs: unknown): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw validation(`invalid ttlMs ${describeInput(ttlMs)}: use a positive integer number of milliseconds`);
  }
  return ttlMs;
}

/** Checks an expected version: an encoded HLC, or null for "must be absent". */
export function validateExpectedVersion(expected: unknown): string | null | undefined {
  if (expected === undefined || expected === null) return expected;
  if (typeof expected !== 'string') {
    throw validation(`invalid expectedVersion ${describeInput(expected)}: use a version returned by get/put, or null`);
  }
  try {
    decodeHlc(expected);
  } catch {
    throw validation(`invalid expectedVersion ${describeInput(expected)}: use a version returned by get/put, or null`);
  }
  return expected;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** UTF-8 length of a string without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Checks that a value is plain JSON (null, booleans, finite numbers, strings, arrays, plain objects; no cycles,
 * at most 64 levels deep) and that its JSON text is at most `maxBytes`. Throws `validation` naming the path.
 */
export function validateJsonValue(value: unknown, maxBytes: number = DEFAULT_MAX_VALUE_BYTES): void {
  const seen = new Set<object>();
  const visit = (node: unknown, path: string, depth: number): void => {
    if (depth > MAX_VALUE_DEPTH) throw validation(`invalid value at ${path}: nested deeper than ${MAX_VALUE_DEPTH} levels`);
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) throw validation(`invalid value at ${path}: ${String(node)} is not a JSON number`);
      return;
    }
    if (typeof node !== 'object') throw validation(`invalid value at ${path}: ${typeof node} is not JSON`);
    if (seen.has(node)) throw validation(`invalid value at ${path}: circular reference`);
    seen.add(node);
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index += 1) {
        if (!(index in node)) throw validation(`invalid value at ${path}[${index}]: a hole in a sparse array is not JSON`);
        visit(node[index], `${path}[${index}]`, depth + 1);
      }
    } else if (isPlainObject(node)) {
      for (const [name, item] of Object.entries(node)) {
        if (item === undefined) throw validation(`invalid value at ${path}.${name}: undefined is not JSON (omit the field or use null)`);
        visit(item, `${path}.${name}`, depth + 1);
      }
    } else {
      throw validation(`invalid value at ${path}: ${node.constructor?.name ?? 'object'} is not a plain JSON object`);
    }
    seen.delete(node);
  };
  if (value === undefined) throw validation('invalid value: undefined is not JSON (use null)');
  visit(value, 'value', 0);
  const bytes = utf8Length(JSON.stringify(value));
  if (bytes > maxBytes) throw validation(`invalid value: ${bytes} bytes of JSON exceeds the ${maxBytes}-byte limit`);
}

// ---------------------------------------------------------------------------------------------------------
// Records

/** True when a record is visible to readers at `nowMs`: not a tombstone and not expired (reader-side TTL). */
export const isLive = (record: ReplicaRecord | undefined, nowMs: number): boolean =>
  record !== undefined && record.deleted !== true && (record.expiresAt === undefined || record.expiresAt > nowMs);

/** Orders records by version; a missing record sorts before every version. */
export function compareRecords(a: ReplicaRecord | undefined, b: ReplicaRecord | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -1;
  if (b === undefined) return 1;
  return compareVersions(a.version, b.version);
}

/** The newest of several replica answers (last writer wins by HLC); undefined when none holds the key. */
export function newestRecord<R extends ReplicaRecord>(records: readonly (R | undefined)[]): R | undefined {
  let best: R | undefined;
  for (const record of records) if (compareRecords(record, best) > 0) best = record;
  return best;
}

const sameVersion = (a: ReplicaRecord | undefined, b: ReplicaRecord | undefined): boolean => compareRecords(a, b) === 0;

/** One replica's answer to a read of one key. */
export interface ReplicaAnswer<R extends ReplicaRecord = ReplicaRecord> {
  readonly replica: number;
  readonly record: R | undefined;
}

/** Replicas whose answer is missing or older than `target`: read repair writes `target` to them. */
export function staleReplicas(answers: readonly ReplicaAnswer[], target: ReplicaRecord | undefined): number[] {
  if (target === undefined) return [];
  return answers.filter((answer) => compareRecords(answer.record, target) < 0).map((answer) => answer.replica);
}

// ---------------------------------------------------------------------------------------------------------
// Consistency per key space

export interface ConsistencyRule {
  readonly prefix: string;
  readonly consistency: ConsistencyLevel;
}

/** Prefix rules, longest first, and the level of keys no rule matches. */
export interface ConsistencyTable {
  readonly rules: readonly ConsistencyRule[];
  readonly fallback: ConsistencyLevel;
}

const LEVELS: readonly ConsistencyLevel[] = ['strong', 'eventual', 'causal'];
const STRICTNESS: Record<ConsistencyLevel, number> = { eventual: 0, causal: 1, strong: 2 };

function checkLevel(level: unknown, where: string): ConsistencyLevel {
  if (typeof level !== 'string' || !LEVELS.includes(level as ConsistencyLevel)) {
    throw validation(`${where}: consistency must be one of ${LEVELS.join(', ')} (got ${describeInput(level)})`);
  }
  return level as ConsistencyLevel;
}

/** Builds the lookup table from `{ prefix: level }` (the empty prefix is allowed and matches every key). */
export function compileConsistency(
  rules: Readonly<Record<string, ConsistencyLevel>> | undefined,
  fallback: ConsistencyLevel = 'strong',
): ConsistencyTable {
  const compiled: ConsistencyRule[] = [];
  for (const [prefix, level] of Object.entries(rules ?? {})) {
    validatePrefix(prefix);
    compiled.push({ prefix, consistency: checkLevel(level, `consistency[${JSON.stringify(prefix)}]`) });
  }
  compiled.sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : 1));
  return { rules: compiled, fallback: checkLevel(fallback, 'defaultConsistency') };
}

/** Level of a key: the rule with the longest matching prefix, else the fallback. */
export function consistencyFor(table: ConsistencyTable, key: string): ConsistencyLevel {
  for (const rule of table.rules) if (key.startsWith(rule.prefix)) return rule.consistency;
  return table.fallback;
}

/**
 * Level a list of `prefix` must honour: the strictest level any key under the prefix can have (the prefix's own
 * level, and every rule for a longer prefix under it). Strictness: strong > causal > eventual.
 */
export function consistencyForList(table: ConsistencyTable, prefix: string): ConsistencyLevel {
  let level = consistencyFor(table, prefix);
  for (const rule of table.rules) {
    if (rule.prefix.startsWith(prefix) && STRICTNESS[rule.consistency] > STRICTNESS[level]) level = rule.consistency;
  }
  return level;
}

/** Whether any key can be strong (then the quorum sizes must satisfy the strong constraints). */
export const hasStrongKeys = (table: ConsistencyTable): boolean =>
  table.fallback === 'strong' || table.rules.some((rule) => rule.consistency === 'strong');

// ---------------------------------------------------------------------------------------------------------
// Quorum sizes

export interface QuorumPolicy {
  /** N: number of stores. */
  readonly replicas: number;
  /** W: acknowledgements a strong write needs. */
  readonly writeQuorum: number;
  /** R: answers a strong read needs. */
  readonly readQuorum: number;
}

/** Default quorum for N stores: a majority (2 of 3). */
export const majority = (replicas: number): number => Math.floor(replicas / 2) + 1;

/**
 * Checks N, W and R. Always: N ≥ 1, 1 ≤ W ≤ N, 1 ≤ R ≤ N. With strong keys also W + R > N (every quorum read
 * meets every acknowledged write) and 2W > N (two conflicting compare-and-sets cannot both be acknowledged).
 * Throws `validation` with a message that says which rule failed and why it matters.
 */
export function checkQuorumPolicy(policy: QuorumPolicy, options: { readonly strong: boolean }): QuorumPolicy {
  const { replicas: n, writeQuorum: w, readQuorum: r } = policy;
  if (!Number.isSafeInteger(n) || n < 1) throw validation(`a replicated store needs at least one store (got ${String(n)})`);
  const inRange = (q: number): boolean => Number.isSafeInteger(q) && q >= 1 && q <= n;
  if (!inRange(w)) throw validation(`writeQuorum must be an integer from 1 to ${n} (the number of stores), got ${String(w)}`);
  if (!inRange(r)) throw validation(`readQuorum must be an integer from 1 to ${n} (the number of stores), got ${String(r)}`);
  if (options.strong && r + w <= n) {
    throw validation(
      `readQuorum (${r}) + writeQuorum (${w}) must exceed the number of stores (${n}) for strong consistency: otherwise a quorum read can miss the latest acknowledged write`,
    );
  }
  if (options.strong && 2 * w <= n) {
    throw validation(
      `writeQuorum (${w}) must be a majority of the ${n} stores for strong consistency: otherwise two conflicting compare-and-set writes can both be acknowledged`,
    );
  }
  return policy;
}

// ---------------------------------------------------------------------------------------------------------
// Quorum reads

/** What a quorum read knows so far. */
export interface ReadTally<R extends ReplicaRecord = ReplicaRecord> {
  readonly answers: readonly ReplicaAnswer<R>[];
  /** Replicas that failed or timed out. */
  readonly failed: number;
  /** Replicas still being asked. */
  readonly pending: number;
}

export type QuorumReadDecision<R extends ReplicaRecord = ReplicaRecord> =
  /** More answers could change the result: keep waiting (every call is bounded by the per-store timeout). */
  | { readonly kind: 'wait' }
  /** Fewer than R replicas can answer. */
  | { readonly kind: 'unavailable' }
  /**
   * The result. `committed`: the version is held by at least W answering replicas, so it is an acknowledged
   * write (or newer than one) and may be copied to stale replicas. Otherwise the result is only the newest
   * version seen, and read repair must not spread it: it can be an in-flight write or the remnant of a write
   * that failed and is being undone.
   */
  | { readonly kind: 'resolved'; readonly record: R | undefined; readonly committed: boolean };

/**
 * Decides a strong read. Rules, for N replicas with write quorum W and read quorum R:
 * 1. fewer than R answers possible → unavailable; fewer than R so far → wait.
 * 2. the newest version is held by ≥ W answers → it, committed.
 * 3. all answers agree (≥ R of them) → it (not provably committed when R < W).
 * 4. answers disagree and some replicas are still pending → wait for them.
 * 5. everyone able to answer has: if the newest version could still be on W replicas counting the failed
 *    ones, it may be an acknowledged write → return it, uncommitted (newest wins, but no repair).
 * 6. otherwise the newest version is provably not acknowledged (an in-flight or failed write): fall back to the
 *    newest version that at least W replicas hold or have passed, which is what the last acknowledged write left.
 */
export function decideQuorumRead<R extends ReplicaRecord>(tally: ReadTally<R>, policy: QuorumPolicy): QuorumReadDecision<R> {
  const { answers, failed, pending } = tally;
  const { writeQuorum: w, readQuorum: r } = policy;
  if (answers.length + pending < r) return { kind: 'unavailable' };
  if (answers.length < r) return { kind: 'wait' };
  const newest = newestRecord(answers.map((a) => a.record));
  const holders = answers.filter((a) => sameVersion(a.record, newest)).length;
  if (holders >= w) return { kind: 'resolved', record: newest, committed: true };
  if (holders === answers.length) return { kind: 'resolved', record: newest, committed: false };
  if (pending > 0) return { kind: 'wait' };
  if (holders + failed >= w) return { kind: 'resolved', record: newest, committed: false };
  const candidates = [...answers].sort((a, b) => compareRecords(b.record, a.record));
  for (let i = 0; i < candidates.length; i += 1) {
    const candidate = candidates[i]?.record;
    const atOrPast = answers.filter((a) => compareRecords(a.record, candidate) >= 0).length;
    if (atOrPast + failed >= w) {
      const exact = answers.filter((a) => sameVersion(a.record, candidate)).length;
      return { kind: 'resolved', record: candidate, committed: exact >= w };
    }
  }
  // Unreachable when W ≤ N: the oldest answer is at-or-past by every answer.
  return { kind: 'resolved', record: newest, committed: false };
}

// ---------------------------------------------------------------------------------------------------------
// Quorum writes

/** What a strong write expects to find. */
export type WriteExpectation =
  | { readonly kind: 'any' }
  | { readonly kind: 'version'; readonly version: string }
  | { readonly kind: 'absent' };

/** Why a replica refused a write. */
export type RefusalReason =
  /** It holds this write's version or a newer one: a concurrent writer got there first. */
  | 'newer'
  /** Compare-and-set: it holds a version newer than the expected one. */
  | 'changed'
  /** Create (expected absent): it holds a live entry. */
  | 'exists';

export type ReplicaWriteDecision =
  | { readonly accept: true; readonly condition: PinnedCondition }
  | { readonly accept: false; readonly reason: RefusalReason; readonly holds: string };

/** Condition that makes a replica write succeed only if the replica still holds exactly `pre`. */
export const pinTo = (pre: ReplicaRecord | undefined): PinnedCondition =>
  pre === undefined ? { kind: 'absent' } : { kind: 'version', version: pre.version };

/**
 * Whether a replica that currently holds `pre` takes a strong write of `version`, and pinned to what.
 * - It never takes a version that is not newer than what it holds (`newer`).
 * - `any` (last writer wins): accepted.
 * - `version e` (compare-and-set): accepted when it holds e, or an older version or nothing (it missed e; since
 *   2W > N, a replica that missed an acknowledged newer version cannot help a stale compare-and-set reach W).
 * - `absent` (create): accepted when it holds no live entry (missing, tombstone or expired).
 * The write is pinned to `pre`, so a replica that changed since it was read refuses, and undoing the write
 * can restore exactly `pre`.
 */
export function decideReplicaWrite(
  pre: ReplicaRecord | undefined,
  expectation: WriteExpectation,
  version: string,
  nowMs: number,
): ReplicaWriteDecision {
  if (pre !== undefined && compareVersions(pre.version, version) >= 0) return { accept: false, reason: 'newer', holds: pre.version };
  if (expectation.kind === 'version' && pre !== undefined && compareVersions(pre.version, expectation.version) > 0) {
    return { accept: false, reason: 'changed', holds: pre.version };
  }
  if (expectation.kind === 'absent' && pre !== undefined && isLive(pre, nowMs)) return { accept: false, reason: 'exists', holds: pre.version };
  return { accept: true, condition: pinTo(pre) };
}

/** How far a strong write has got. */
export interface WriteTally {
  readonly accepted: number;
  readonly refused: number;
  readonly failed: number;
  /** Replicas still being read or written. */
  readonly pending: number;
}

export type QuorumWriteDecision =
  /** At least W replicas took the write. */
  | 'committed'
  /** Still possible, keep going. */
  | 'pending'
  /** W can no longer be reached but some replicas are still pending: stop starting new replica writes. */
  | 'doomed'
  /** Final: refusals alone rule out W (a concurrent writer or a failed precondition won). */
  | 'conflict'
  /** Final: W not reached and failures are to blame (with the failed ones it could have been). */
  | 'unavailable';

export function decideQuorumWrite(tally: WriteTally, policy: QuorumPolicy): QuorumWriteDecision {
  const { accepted, refused, pending } = tally;
  if (accepted >= policy.writeQuorum) return 'committed';
  if (pending > 0) return accepted + pending >= policy.writeQuorum ? 'pending' : 'doomed';
  return refused > policy.replicas - policy.writeQuorum ? 'conflict' : 'unavailable';
}

// ---------------------------------------------------------------------------------------------------------
// Messages

/** One store's part in a failed operation, as said in an error message (codes only, never store messages). */
export interface StoreIssue {
  readonly store: string;
  /** e.g. `unavailable`, `timed out after 1500 ms`, `refused it (holds a newer version)`. */
  readonly reason: string;
}

/**
 * `write of "lease/scheduler" reached 1 of 3 stores (need 2): cosmos unavailable, firestore unavailable`.
 * Keys are validated before any store is asked, so they are safe to print.
 */
export function quorumMessage(
  operation: string,
  subject: string,
  reached: number,
  total: number,
  needed: number,
  issues: readonly StoreIssue[],
): string {
  const detail = issues.map((issue) => `${issue.store} ${issue.reason}`).join(', ');
  return `${operation} of ${JSON.stringify(subject)} reached ${reached} of ${total} stores (need ${needed})${detail ? `: ${detail}` : ''}`;
}

/** Joins store names for a message: `cosmos`, `cosmos and firestore`, `a, b and c`. */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

// ---------------------------------------------------------------------------------------------------------
// Causal session tokens

/**
 * What a causal session has seen: the highest version overall (the HLC horizon, merged into the writer's clock
 * so its next write orders after everything the session saw) and, for the keys it touched most recently, the
 * version it saw or wrote there (reads of those keys never return anything older).
 */
export interface SessionState {
  readonly horizon: string | undefined;
  /** key → highest version seen or written by the session. */
  readonly keys: ReadonlyMap<string, string>;
}

export const EMPTY_SESSION: SessionState = Object.freeze({ horizon: undefined, keys: new Map<string, string>() });

const TOKEN_PREFIX = 'cs1.';
const MAX_TOKEN_LENGTH = 256 * 1024;
const MAX_TOKEN_KEYS = 1_024;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Default number of keys a session remembers (the most recently versioned ones). */
export const DEFAULT_SESSION_KEYS = 64;

function badToken(why: string): MeshgateError {
  return validation(`invalid causal session token: ${why}; pass the token a previous call left in the session, or '' for a new session`);
}

/** Serialises a session: `cs1.` + base64url(JSON `[horizon, [[key, version], ...]]`). The empty session is `''`. */
export function encodeSessionToken(state: SessionState): string {
  if (state.horizon === undefined) return '';
  const body = JSON.stringify([state.horizon, [...state.keys.entries()]]);
  return TOKEN_PREFIX + Buffer.from(body, 'utf8').toString('base64url');
}

/** Parses and validates a token (`''` is the empty session). Throws `validation` for anything malformed. */
export function decodeSessionToken(token: unknown): SessionState {
  if (token === '') return EMPTY_SESSION;
  if (typeof token !== 'string') throw badToken(`expected a string, got ${describeInput(token)}`);
  if (token.length > MAX_TOKEN_LENGTH) throw badToken(`longer than ${MAX_TOKEN_LENGTH} characters`);
  if (!token.startsWith(TOKEN_PREFIX)) throw badToken(`it must start with "${TOKEN_PREFIX}"`);
  const encoded = token.slice(TOKEN_PREFIX.length);
  if (!BASE64URL.test(encoded)) throw badToken('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw badToken('not JSON inside');
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || !Array.isArray(parsed[1])) {
    throw badToken('unexpected shape');
  }
  const horizon = checkTokenVersion(parsed[0]);
  const pairs = parsed[1] as unknown[];
  if (pairs.length > MAX_TOKEN_KEYS) throw badToken(`more than ${MAX_TOKEN_KEYS} keys`);
  const keys = new Map<string, string>();
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') throw badToken('unexpected shape');
    const key: unknown = pair[0];
    try {
      validateKey(key);
    } catch {
      throw badToken(`invalid key ${describeInput(key)}`);
    }
    const version = checkTokenVersion(pair[1]);
    if (compareVersions(version, horizon) > 0) throw badToken('a key version is newer than the horizon');
    if (keys.has(key as string)) throw badToken(`key ${describeInput(key)} appears twice`);
    keys.set(key as string, version);
  }
  return { horizon, keys };
}

function checkTokenVersion(version: unknown): string {
  if (typeof version !== 'string') throw badToken('a version is not a string');
  try {
    decodeHlc(version);
  } catch {
    throw badToken(`invalid version ${describeInput(version)}`);
  }
  return version;
}

/** The version a causal read of `key` must reach (undefined when the session never touched the key). */
export const requiredVersion = (state: SessionState, key: string): string | undefined => state.keys.get(key);

/**
 * Records that the session saw or wrote `version` of `key` (or, with `key` undefined, only advances the horizon).
 * Keeps the `limit` keys with the newest versions. Returns a new state; the input is not modified.
 */
export function observeInSession(state: SessionState, key: string | undefined, version: string, limit = DEFAULT_SESSION_KEYS): SessionState {
  const horizon = state.horizon === undefined || compareVersions(version, state.horizon) > 0 ? version : state.horizon;
  if (key === undefined) return horizon === state.horizon ? state : { horizon, keys: state.keys };
  const current = state.keys.get(key);
  if (current !== undefined && compareVersions(current, version) >= 0 && horizon === state.horizon) return state;
  const keys = new Map(state.keys);
  if (current === undefined || compareVersions(version, current) > 0) keys.set(key, version);
  if (keys.size > limit) {
    const kept = [...keys.entries()].sort((a, b) => compareVersions(b[1], a[1])).slice(0, limit);
    return { horizon, keys: new Map(kept) };
  }
  return { horizon, keys };
}

// ---------------------------------------------------------------------------------------------------------
// Retry backoff

export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `attempt` (0-based): exponential (base · 2^attempt, capped at max) with equal
 * jitter, i.e. uniformly between half and all of it. `random01` is a draw from [0, 1).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random01: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt));
  const jitter = Math.min(Math.max(random01, 0), 1);
  return Math.round(cap / 2 + (cap / 2) * jitter);
}
