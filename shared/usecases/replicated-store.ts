/**
 * The replicated store: one {@link StateStore} over N key-value stores (DynamoDB, Cosmos DB and Firestore in
 * production, so N = 3), with per-key-space consistency, hybrid-logical-clock versions, read repair and
 * background fan-out. Pure decisions live in `shared/core/replication.ts`; this file only orchestrates I/O.
 */
import { MeshgateError, asMeshgateError, type ErrorCode } from '../core/errors';
import { ZERO_HLC, assertNodeId, compareHlc, compareVersions, decodeHlc, encodeHlc, receiveHlc, tickHlc, type Hlc } from '../core/hlc';
import {
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_SESSION_KEYS,
  backoffDelay,
  checkQuorumPolicy,
  compareKeys,
  compileConsistency,
  consistencyFor,
  consistencyForList,
  decideQuorumRead,
  decideQuorumWrite,
  decideReplicaWrite,
  decodeSessionToken,
  encodeSessionToken,
  hasStrongKeys,
  isLive,
  joinNames,
  majority,
  newestRecord,
  observeInSession,
  quorumMessage,
  requiredVersion,
  staleReplicas,
  validateExpectedVersion,
  validateJsonValue,
  validateKey,
  validateLimit,
  validatePrefix,
  validateTtl,
  type ConsistencyTable,
  type QuorumPolicy,
  type ReplicaAnswer,
  type SessionState,
  type StoreIssue,
  type WriteExpectation,
} from '../core/replication';
import type { Clock } from '../ports/clock';
import type { JsonValue, KeyValueStore, PutCondition, VersionedRecord } from '../ports/key-value-store';
import type { Logger } from '../ports/logger';
import type { CausalSession, Consistency, Entry, ReadOptions, StateStore, WriteOptions } from '../ports/state-store';

/** Bounded retry of background replica writes (fan-out, hinted hand-off, undo of failed strong writes). */
export interface RetryPolicy {
  /** Attempts after the first failure; then the replica is left to read repair. Default 6. */
  readonly attempts: number;
  /** First backoff delay; doubles per attempt, with equal jitter. Default 100 ms. */
  readonly baseDelayMs: number;
  /** Ceiling of one backoff delay. Default 5000 ms. */
  readonly maxDelayMs: number;
}

export interface ReplicatedStoreOptions {
  /** The replicas, in preference order. Names must be unique (they label errors and stats). */
  readonly stores: readonly KeyValueStore[];
  /** Time source for HLC versions, TTL, per-call timeouts and backoff. */
  readonly clock: Clock;
  /** This writer's node id, part of every version it writes (ties between equal timestamps break on it). */
  readonly nodeId: string;
  /** W: acknowledgements a strong write needs. Default: a majority of the stores (2 of 3). */
  readonly writeQuorum?: number;
  /** R: answers a strong read needs. Default: a majority of the stores (2 of 3). */
  readonly readQuorum?: number;
  /** Consistency per key prefix; the longest matching prefix wins. */
  readonly consistency?: Readonly<Record<string, Consistency>>;
  /** Consistency of keys no prefix matches. Default `strong`. */
  readonly defaultConsistency?: Consistency;
  /** Timeout of every single store call, so one hung store cannot stall a quorum. Default 1500 ms. */
  readonly callTimeoutMs?: number;
  /** Backoff of background replica writes. */
  readonly retry?: Partial<RetryPolicy>;
  /** Random draws in [0, 1) for backoff jitter. Default Math.random. */
  readonly random?: () => number;
  /** Ceiling on a value's JSON size in bytes. Default 350 KiB. */
  readonly maxValueBytes?: number;
  /** How many keys a causal session token remembers (the most recently versioned). Default 64. */
  readonly sessionKeyLimit?: number;
  /** Where background problems (gave up on a replica, undo failed) are reported. Default: nowhere. */
  readonly logger?: Logger;
}

/** Counters since construction. `replicaFailures` counts failed or timed-out calls per store name. */
export interface ReplicationStats {
  /** Writes (put/delete) acknowledged to the caller. */
  readonly writes: number;
  /** Writes rejected with `unavailable` or `conflict`. */
  readonly failedWrites: number;
  /**
   * Concurrent writes detected: a write refused by a replica because another writer's version was there first
   * (newer version, changed compare-and-set version, existing entry), counted once per write.
   */
  readonly conflicts: number;
  /** Replica records brought up to date by read repair. */
  readonly repairs: number;
  /** Replica records delivered by background fan-out or hinted hand-off after the caller was answered. */
  readonly handoffs: number;
  /** Background deliveries abandoned after the retry budget (read repair will fix those replicas). */
  readonly handoffsDropped: number;
  /** Replicas restored to their previous record after a strong write failed. */
  readonly compensations: number;
  /** Failed or timed-out store calls, per store name. */
  readonly replicaFailures: Readonly<Record<string, number>>;
  /** Background tasks (repair, fan-out, undo) still running; `settle()` waits for them. */
  readonly pendingTasks: number;
}

type CallResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: MeshgateError; readonly timedOut: boolean; readonly late: Promise<unknown> };

/** Outcome of one replica's part in a strong write. */
type ReplicaWrite =
  | { readonly kind: 'accepted'; readonly pre: VersionedRecord | undefined }
  | { readonly kind: 'refused'; readonly reason: 'newer' | 'changed' | 'exists'; readonly holds?: string }
  | { readonly kind: 'failed'; readonly error: MeshgateError; readonly timedOut: boolean; readonly maybeApplied: boolean; readonly late: Promise<unknown>; readonly pre?: VersionedRecord | undefined }
  | { readonly kind: 'skipped' };

const OLDER: PutCondition = { kind: 'older' };
const DEFAULT_TIMEOUT_MS = 1_500;
const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 100, maxDelayMs: 5_000 };
/** Codes that mean "the store answered and said no", not "the store failed". */
const ANSWERS: ReadonlySet<ErrorCode> = new Set(['conflict', 'not_found']);
/** Failures after which a write certainly did not happen. */
const NOT_APPLIED: ReadonlySet<ErrorCode> = new Set(['throttled', 'validation', 'conflict', 'not_found']);

/**
 * A {@link StateStore} replicated over N key-value stores (normally 3).
 *
 * **Versions.** Every write carries an encoded hybrid logical clock (ms, counter, node id). The store ticks its
 * HLC on each write and merges every version it reads (and every causal token it is given), so its next write
 * orders after everything it has seen. Replicas converge on the highest version: last writer wins by HLC, ties
 * by node id.
 *
 * **Consistency per key space** (`consistency` prefix map, longest prefix wins, default `strong`):
 * - `strong`: each replica is read and then written with a precondition pinned to what it held, and the write
 *   needs W acknowledgements. With `expectedVersion` it is a compare-and-set (`null`: create). Reads wait for R
 *   answers (more when replicas disagree) and return the newest acknowledged version.
 * - `eventual`: the write is acknowledged by the first replica that takes it; the others get it in the
 *   background with bounded, jittered exponential retry. Reads return the first answer. Compare-and-set writes
 *   (`expectedVersion` given) always take the strong path.
 * - `causal`: like `eventual`, plus the {@link CausalSession}: a read of a key the session has seen or written
 *   never returns an older version; when no replica has caught up it fails with `unavailable` (retryable).
 *
 * **Failed strong writes (the guarantee).** When a strong `put`/`delete` rejects (`unavailable` or `conflict`):
 * 1. If fewer than W replicas could be read, nothing was written anywhere.
 * 2. Otherwise each replica write was pinned (by precondition) to the exact record that replica held, and before
 *    the promise rejects every replica that acknowledged the write, or whose call failed in a way that may have
 *    applied it, has been given back exactly that record. The undo is conditional on the replica still holding
 *    this write's version, so a later write is never undone. Two cases finish in the background (`settle()`
 *    waits for them): a replica whose call timed out is undone once that call settles (it may still land), and
 *    an undo that cannot reach its replica is retried with backoff.
 * 3. Strong reads copy (repair) only versions that at least W replicas hold, so a failed write is not spread to
 *    other replicas, and a read that hears from every replica never returns a version fewer than W replicas hold.
 * Hence, once its undo has settled, no read returns a failed strong write. Before that (or if the undo can never
 * land because this process dies), the remnant sits on fewer than W replicas: reads that hear from every replica
 * ignore it, but a read that cannot (a store is down) returns it as the newest version seen, exactly as it may
 * return a write still in flight, and without copying it anywhere. One case is weaker: if a write really reached
 * W replicas but fewer than W acknowledgements came back (answers lost), a concurrent read can take it for
 * acknowledged and copy it to a replica this write never touched; the undo restores the replicas this write
 * wrote, and that copy stays behind as a remnant of the kind above until the key is written again.
 *
 * Compare-and-set races: each replica takes at most one of several writers with the same expected version and
 * 2W > N, so at most one of them is acknowledged; the others get `conflict` and their partial writes are undone.
 * If every replica takes a different writer (a three-way split), none wins and all may retry.
 *
 * **Deletes** write tombstones through the same path; reads hide tombstones and entries whose `expiresAt` is at
 * or before `clock.now()` (TTL is applied by the reader). Tombstones are never collected here.
 *
 * **Errors.** `validation` (bad key, value, option or session token; no store is touched), `conflict`,
 * `unavailable` (retryable; the message names each store that failed and how, never a store's own message).
 */
export class ReplicatedStore implements StateStore {
  private readonly stores: readonly KeyValueStore[];
  private readonly clock: Clock;
  private readonly nodeId: string;
  private readonly policy: QuorumPolicy;
  private readonly table: ConsistencyTable;
  private readonly timeoutMs: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly random: () => number;
  private readonly maxValueBytes: number;
  private readonly sessionKeyLimit: number;
  private readonly logger: Logger | undefined;
  private hlc: Hlc = ZERO_HLC;
  private readonly tasks = new Set<Promise<void>>();
  private readonly closing = new AbortController();
  private readonly counters = { writes: 0, failedWrites: 0, conflicts: 0, repairs: 0, handoffs: 0, handoffsDropped: 0, compensations: 0 };
  private readonly failuresByStore: Record<string, number> = {};

  /** Validates the options (`validation` with a message naming the broken rule); touches no store. */
  constructor(options: ReplicatedStoreOptions) {
    const stores = [...(options.stores ?? [])];
    const names = new Set<string>();
    for (const store of stores) {
      if (typeof store?.name !== 'string' || store.name === '') throw new MeshgateError('validation', 'every store needs a non-empty name');
      if (names.has(store.name)) throw new MeshgateError('validation', `store names must be unique: "${store.name}" appears twice`);
      names.add(store.name);
    }
    this.table = compileConsistency(options.consistency, options.defaultConsistency ?? 'strong');
    this.policy = checkQuorumPolicy(
      {
        replicas: stores.length,
        writeQuorum: options.writeQuorum ?? majority(stores.length),
        readQuorum: options.readQuorum ?? majority(stores.length),
      },
      { strong: hasStrongKeys(this.table) },
    );
    this.stores = stores;
    this.clock = options.clock;
    this.nodeId = assertNodeId(options.nodeId);
    this.timeoutMs = positive(options.callTimeoutMs ?? DEFAULT_TIMEOUT_MS, 'callTimeoutMs');
    const retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!Number.isSafeInteger(retry.attempts) || retry.attempts < 0) {
      throw new MeshgateError('validation', `retry.attempts must be a non-negative integer, got ${String(retry.attempts)}`);
    }
    this.retryPolicy = { attempts: retry.attempts, baseDelayMs: positive(retry.baseDelayMs, 'retry.baseDelayMs'), maxDelayMs: positive(retry.maxDelayMs, 'retry.maxDelayMs') };
    this.random = options.random ?? Math.random;
    this.maxValueBytes = positive(options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES, 'maxValueBytes');
    this.sessionKeyLimit = positive(options.sessionKeyLimit ?? DEFAULT_SESSION_KEYS, 'sessionKeyLimit');
    this.logger = options.logger;
    for (const store of stores) this.failuresByStore[store.name] = 0;
  }

  /** The consistency that applies to `key`. */
  consistencyOf(key: string): Consistency {
    return consistencyFor(this.table, validateKey(key));
  }

  /** Counters since construction (a snapshot). */
  stats(): ReplicationStats {
    return { ...this.counters, replicaFailures: { ...this.failuresByStore }, pendingTasks: this.tasks.size };
  }

  /**
   * Resolves when every background task (read repair, fan-out, hinted hand-off, undo of failed writes), including
   * the ones those start, has finished. Backoff sleeps use the injected clock.
   */
  async settle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Stops background retries at their next backoff and waits for what is still running. Idempotent. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.settle();
  }

  // -------------------------------------------------------------------------------------------------------
  // StateStore

  /**
   * Reads one live entry (tombstones and expired entries are absent). Strong keys: R answers, newest
   * acknowledged version; eventual: first answer; causal: first answer at or past the session's version of the
   * key. Stale replicas are repaired in the background. Errors: `validation`, `unavailable`.
   */
  async get<T extends JsonValue = JsonValue>(key: string, options: ReadOptions = {}): Promise<Entry<T> | undefined> {
    validateKey(key);
    const session = this.openSession(options.session);
    const level = consistencyFor(this.table, key);
    const record =
      level === 'strong'
        ? await this.readStrong(key)
        : await this.readFirst(key, level === 'causal' && session ? requiredVersion(session.state, key) : undefined);
    if (session && record) session.observe(key, record.version);
    return isLive(record, this.clock.now()) && record ? toEntry<T>(record) : undefined;
  }

  /**
   * Writes a value under a fresh version. `expectedVersion` makes it a compare-and-set (null: the key must have no
   * live entry); `ttlMs` sets `expiresAt`. Errors: `validation`, `conflict` (precondition failed or a concurrent
   * writer won; nothing of this write stays visible), `unavailable` (see the class documentation for exactly
   * what stays visible).
   */
  async put<T extends JsonValue = JsonValue>(key: string, value: T, options: WriteOptions = {}): Promise<Entry<T>> {
    validateKey(key);
    validateJsonValue(value, this.maxValueBytes);
    const ttlMs = validateTtl(options.ttlMs);
    const expected = validateExpectedVersion(options.expectedVersion);
    const session = this.openSession(options.session);
    const draft: Draft = { key, value, ...(ttlMs === undefined ? {} : { expiresAt: this.clock.now() + ttlMs }) };
    const record = await this.write('write', draft, expected, session);
    return toEntry<T>(record);
  }

  /**
   * Deletes by writing a tombstone through the same path as `put` (so deletes replicate and win by version).
   * Deleting a missing key is a no-op unless `expectedVersion` fails. Errors as for `put`.
   */
  async delete(key: string, options: Omit<WriteOptions, 'ttlMs'> = {}): Promise<void> {
    validateKey(key);
    const expected = validateExpectedVersion(options.expectedVersion);
    const session = this.openSession(options.session);
    await this.write('delete', { key, value: null, deleted: true }, expected, session);
  }

  /**
   * Live entries under `prefix`, ascending by key, at most `limit` (applied after merging). Waits for the answers
   * the strictest key space under the prefix needs (R for strong), takes the newest version per key, hides
   * tombstones and expired entries, and repairs stale replicas in the background.
   */
  async list<T extends JsonValue = JsonValue>(prefix: string, options: ReadOptions & { limit?: number } = {}): Promise<Entry<T>[]> {
    validatePrefix(prefix);
    const limit = validateLimit(options.limit);
    const session = this.openSession(options.session);
    const level = consistencyForList(this.table, prefix);
    const required = new Map<string, string>();
    if (session && level === 'causal') {
      for (const [key, version] of session.state.keys) if (key.startsWith(prefix)) required.set(key, version);
    }
    const records = await this.listMerged(prefix, level, required);
    const now = this.clock.now();
    const live = records.filter((record) => isLive(record, now));
    const limited = limit === undefined ? live : live.slice(0, limit);
    if (session) for (const record of limited) session.observe(record.key, record.version);
    return limited.map((record) => toEntry<T>(record));
  }

  // -------------------------------------------------------------------------------------------------------
  // Writes

  private async write(operation: 'write' | 'delete', draft: Draft, expected: string | null | undefined, session: OpenSession | undefined): Promise<VersionedRecord> {
    if (session?.state.horizon !== undefined) this.observe(session.state.horizon);
    const level = consistencyFor(this.table, draft.key);
    try {
      const record =
        expected !== undefined || level === 'strong'
          ? await this.writeStrong(operation, draft, expected === undefined ? { kind: 'any' } : expected === null ? { kind: 'absent' } : { kind: 'version', version: expected })
          : await this.writeFanOut(operation, draft);
      this.counters.writes += 1;
      session?.observe(draft.key, record.version);
      return record;
    } catch (err) {
      this.counters.failedWrites += 1;
      throw err;
    }
  }

  /**
   * Strong write. Per replica: read what it holds, then (once W replicas have been read and the version chosen
   * after everything they hold) write with a precondition pinned to that exact record. Acknowledged at W; when
   * W cannot be reached, the replicas that took the write are restored before the promise rejects.
   */
  private writeStrong(operation: 'write' | 'delete', draft: Draft, expectation: WriteExpectation): Promise<VersionedRecord> {
    const { replicas: n, writeQuorum: w } = this.policy;
    const key = draft.key;
    if (expectation.kind === 'version') this.observe(expectation.version);

    let read = 0;
    let readsSettled = 0;
    let sawExpected = false;
    const pres: (VersionedRecord | undefined)[] = [];
    let chooseVersion!: (version: string | undefined) => void;
    const versionChosen = new Promise<string | undefined>((resolve) => (chooseVersion = resolve));
    let chosen: string | undefined | null = null; // null: not decided yet
    const decideVersion = (): void => {
      if (chosen !== null || (read < w && readsSettled < n)) return;
      if (read < w || (expectation.kind === 'version' && !sawExpected)) {
        chosen = undefined;
      } else {
        chosen = this.tick();
      }
      chooseVersion(chosen);
    };

    const outcomes: (ReplicaWrite | undefined)[] = new Array<ReplicaWrite | undefined>(n).fill(undefined);
    let doomed = false;
    const tally = (): ReturnType<typeof decideQuorumWrite> => {
      let accepted = 0;
      let refused = 0;
      let failed = 0;
      let pending = 0;
      for (const outcome of outcomes) {
        if (outcome === undefined) pending += 1;
        else if (outcome.kind === 'accepted') accepted += 1;
        else if (outcome.kind === 'refused') refused += 1;
        else if (outcome.kind === 'failed') failed += 1;
      }
      return decideQuorumWrite({ accepted, refused, failed, pending }, this.policy);
    };

    const replicaWrite = async (i: number): Promise<ReplicaWrite> => {
      const first = await this.call(i, (store) => store.get(key));
      readsSettled += 1;
      if (first.ok) {
        read += 1;
        pres[i] = first.value;
        if (first.value) this.observe(first.value.version);
        if (expectation.kind === 'version' && first.value?.version === expectation.version) sawExpected = true;
      }
      decideVersion();
      if (!first.ok) return { kind: 'failed', error: first.error, timedOut: first.timedOut, maybeApplied: false, late: first.late };
      const version = await versionChosen;
      if (version === undefined) return { kind: 'skipped' };
      let pre = first.value;
      for (let attempt = 0; ; attempt += 1) {
        if (doomed) return { kind: 'skipped' };
        const decision = decideReplicaWrite(pre, expectation, version, this.clock.now());
        if (!decision.accept) return { kind: 'refused', reason: decision.reason, holds: decision.holds };
        const record: VersionedRecord = { ...draft, version };
        const put = await this.call(i, (store) => store.put(record, decision.condition));
        if (put.ok) return { kind: 'accepted', pre };
        if (put.error.code !== 'conflict') {
          return { kind: 'failed', error: put.error, timedOut: put.timedOut, maybeApplied: !NOT_APPLIED.has(put.error.code), late: put.late, pre };
        }
        // The replica changed between our read and our write: read it again (bounded).
        if (attempt >= 2) return { kind: 'refused', reason: 'newer' };
        const again = await this.call(i, (store) => store.get(key));
        if (!again.ok) return { kind: 'failed', error: again.error, timedOut: again.timedOut, maybeApplied: false, late: again.late };
        pre = again.value;
        if (pre) this.observe(pre.version);
      }
    };

    return new Promise<VersionedRecord>((resolve, reject) => {
      let answered = false;
      const all = this.stores.map((_, i) =>
        replicaWrite(i)
          .catch((err: unknown): ReplicaWrite => ({ kind: 'failed', error: asMeshgateError(err), timedOut: false, maybeApplied: false, late: Promise.resolve() }))
          .then((outcome) => {
            outcomes[i] = outcome;
            const decision = tally();
            if (decision === 'doomed') doomed = true;
            if (decision === 'committed' && !answered && chosen) {
              answered = true;
              resolve({ ...draft, version: chosen });
            }
            return outcome;
          }),
      );
      const finish = Promise.all(all).then(async (final) => {
        const version = typeof chosen === 'string' ? chosen : undefined;
        const refusedAny = final.some((outcome) => outcome.kind === 'refused') || (version === undefined && read >= w);
        if (refusedAny) this.counters.conflicts += 1;
        const decision = tally();
        if (decision === 'committed' && version !== undefined) {
          // Acknowledged: deliver it to replicas that failed (hinted hand-off); refusals hold newer versions.
          final.forEach((outcome, i) => {
            if (outcome.kind === 'failed') this.handOff(i, { ...draft, version }, outcome.late);
          });
          return;
        }
        if (version !== undefined) await this.compensate(key, version, final);
        reject(this.strongFailure(operation, key, expectation, final, pres, version));
      });
      this.track(finish.catch((err: unknown) => reject(asMeshgateError(err))));
    });
  }

  /**
   * Undoes a failed strong write: each replica that took it, or whose call failed in a way that may have applied
   * it, gets back the record it held (its write was pinned to that record, so the undo is exact). Done before
   * returning, except for calls that timed out and may still land: those are undone once they settle.
   */
  private async compensate(key: string, version: string, outcomes: readonly ReplicaWrite[]): Promise<void> {
    const now: Promise<void>[] = [];
    outcomes.forEach((outcome, i) => {
      const pre = outcome.kind === 'accepted' || outcome.kind === 'failed' ? outcome.pre : undefined;
      if (outcome.kind === 'accepted' || (outcome.kind === 'failed' && outcome.maybeApplied && !outcome.timedOut)) {
        now.push(
          this.undo(i, key, pre, version).then((result) => {
            if (result === 'retry') this.track(this.undoWithRetry(i, key, pre, version, Promise.resolve()));
          }),
        );
      } else if (outcome.kind === 'failed' && outcome.maybeApplied) {
        this.track(this.undoWithRetry(i, key, pre, version, outcome.late));
      }
    });
    await Promise.all(now);
  }

  private async undoWithRetry(i: number, key: string, pre: VersionedRecord | undefined, version: string, late: Promise<unknown>): Promise<void> {
    await this.boundedWait(late);
    const done = await this.withRetry(async () => (await this.undo(i, key, pre, version)) === 'done', true);
    if (!done) {
      this.logger?.warn({ store: this.nameOf(i), key, version }, 'could not undo a failed strong write on this store; fewer than W stores hold it, so quorum reads ignore it');
    }
  }

  /**
   * Puts back `pre` (or removes the key when it was absent) if the replica still holds `version`. When it holds a
   * newer version instead, this write is buried under another one that was pinned to it; that one may itself be
   * undone back to `version` (a second failed write), so the undo is retried later rather than abandoned.
   */
  private async undo(i: number, key: string, pre: VersionedRecord | undefined, version: string): Promise<'done' | 'retry'> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const result = pre
        ? await this.call(i, (store) => store.put(pre, { kind: 'version', version }))
        : await this.call(i, (store) => store.delete(key, version));
      if (result.ok) {
        this.counters.compensations += 1;
        return 'done';
      }
      if (!ANSWERS.has(result.error.code)) return 'retry';
      const now = await this.call(i, (store) => store.get(key));
      if (!now.ok) return 'retry';
      const holds = now.value === undefined ? -1 : compareVersions(now.value.version, version);
      if (holds < 0) return 'done'; // never landed, or already undone
      if (holds > 0) return 'retry'; // buried under a newer write
      // It holds this write again (what buried it was undone in between): try once more right away.
    }
    return 'retry';
  }

  private strongFailure(
    operation: 'write' | 'delete',
    key: string,
    expectation: WriteExpectation,
    outcomes: readonly ReplicaWrite[],
    pres: readonly (VersionedRecord | undefined)[],
    version: string | undefined,
  ): MeshgateError {
    const { replicas: n, writeQuorum: w } = this.policy;
    const failures = outcomes.flatMap((outcome, i) => (outcome.kind === 'failed' ? [{ store: this.nameOf(i), reason: this.reason(outcome.error, outcome.timedOut) }] : []));
    const refusals = outcomes.flatMap((outcome, i) => (outcome.kind === 'refused' ? [{ store: this.nameOf(i), outcome }] : []));
    const details = { key, stores: Object.fromEntries([...failures.map((f) => [f.store, f.reason]), ...refusals.map((r) => [r.store, `refused: ${r.outcome.reason}`])]) };
    const read = outcomes.filter((outcome) => outcome.kind !== 'failed').length;

    const newestSeen = newestRecord(pres);
    if (version === undefined && read >= w && expectation.kind === 'version') {
      // No replica we read holds the expected version: the compare-and-set is stale.
      const current = newestSeen ? `version ${newestSeen.version}` : 'no version (the key is absent)';
      return new MeshgateError('conflict', `compare-and-set ${operation} of ${JSON.stringify(key)} failed: expected version ${expectation.version}, but the stores hold ${current}`, { details });
    }
    const decision = decideQuorumWrite(
      {
        accepted: 0,
        refused: refusals.length,
        failed: failures.length,
        pending: 0,
      },
      this.policy,
    );
    if (decision === 'conflict' && version !== undefined) {
      const names = joinNames(refusals.map((r) => r.store));
      const holds = [...new Set(refusals.flatMap((r) => (r.outcome.kind === 'refused' && r.outcome.holds ? [r.outcome.holds] : [])))].join(', ');
      const seen = holds ? ` (${holds})` : '';
      const message =
        expectation.kind === 'version'
          ? `compare-and-set ${operation} of ${JSON.stringify(key)} failed: expected version ${expectation.version}, but ${names} hold a newer one${seen}`
          : expectation.kind === 'absent'
            ? `create of ${JSON.stringify(key)} failed: ${names} hold a live entry${seen}`
            : `${operation} of ${JSON.stringify(key)} lost to a concurrent write: ${names} hold a newer version${seen}`;
      return new MeshgateError('conflict', message, { details });
    }
    const issues: StoreIssue[] = outcomes.flatMap((outcome, i): StoreIssue[] => {
      if (outcome.kind === 'failed') return [{ store: this.nameOf(i), reason: this.reason(outcome.error, outcome.timedOut) }];
      if (outcome.kind === 'refused') return [{ store: this.nameOf(i), reason: refusalText(outcome.reason) }];
      return [];
    });
    const reached = outcomes.filter((outcome) => outcome.kind === 'accepted' || outcome.kind === 'skipped').length;
    return new MeshgateError('unavailable', quorumMessage(operation, key, reached, n, w, issues), {
      details,
      cause: failures.length > 0 ? new AggregateError(outcomes.flatMap((o) => (o.kind === 'failed' ? [o.error] : []))) : undefined,
    });
  }

  /**
   * Eventual/causal write: `older` (last-writer-wins) put to every replica at once; acknowledged by the first
   * replica that takes it (or already holds it or something newer). The rest are retried in the background.
   */
  private writeFanOut(operation: 'write' | 'delete', draft: Draft): Promise<VersionedRecord> {
    const record: VersionedRecord = { ...draft, version: this.tick() };
    return new Promise<VersionedRecord>((resolve, reject) => {
      let acknowledged = false;
      let superseded = false;
      const issues: StoreIssue[] = [];
      const errors: MeshgateError[] = [];
      let settleOutcome!: (ok: boolean) => void;
      const outcome = new Promise<boolean>((r) => (settleOutcome = r));
      const calls = this.stores.map(async (_, i) => {
        const result = await this.call(i, (store) => store.put(record, OLDER));
        if (result.ok || result.error.code === 'conflict') {
          if (!result.ok) superseded = true; // the replica already holds this version or a newer one
          if (!acknowledged) {
            acknowledged = true;
            settleOutcome(true);
            resolve(record);
          }
          return;
        }
        issues[i] = { store: this.nameOf(i), reason: this.reason(result.error, result.timedOut) };
        errors.push(result.error);
        const late = result.late;
        this.track(
          outcome.then(async (ok) => {
            if (ok) await this.deliver(i, record, late);
          }),
        );
      });
      this.track(
        Promise.all(calls).then(() => {
          if (superseded) this.counters.conflicts += 1;
          if (!acknowledged) {
            settleOutcome(false);
            const message = quorumMessage(operation, record.key, 0, this.stores.length, 1, issues.filter(Boolean));
            reject(new MeshgateError('unavailable', message, { cause: new AggregateError(errors), details: { key: record.key } }));
          }
        }),
      );
    });
  }

  /** Hinted hand-off of an acknowledged strong write to a replica that failed. */
  private handOff(i: number, record: VersionedRecord, late: Promise<unknown>): void {
    this.track(this.deliver(i, record, late));
  }

  /** Delivers `record` to replica `i` with `older` puts, retried with backoff; waits for a lost call first. */
  private async deliver(i: number, record: VersionedRecord, late: Promise<unknown>): Promise<void> {
    await this.boundedWait(late);
    const done = await this.withRetry(async () => {
      const result = await this.call(i, (store) => store.put(record, OLDER));
      if (result.ok) {
        this.counters.handoffs += 1;
        return true;
      }
      return result.error.code === 'conflict'; // already there, or something newer is
    }, false);
    if (!done) {
      this.counters.handoffsDropped += 1;
      this.logger?.warn({ store: this.nameOf(i), key: record.key, version: record.version }, 'gave up delivering a write to this store; read repair will bring it up to date');
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Reads

  /** Quorum read of one key; repairs stale replicas (only with acknowledged versions) once all have answered. */
  private readStrong(key: string): Promise<VersionedRecord | undefined> {
    const n = this.stores.length;
    const answers: ReplicaAnswer<VersionedRecord>[] = [];
    const failures: { i: number; error: MeshgateError; timedOut: boolean }[] = [];
    return new Promise<VersionedRecord | undefined>((resolve, reject) => {
      let done = false;
      const evaluate = (): void => {
        if (done) return;
        const decision = decideQuorumRead({ answers, failed: failures.length, pending: n - answers.length - failures.length }, this.policy);
        if (decision.kind === 'wait') return;
        done = true;
        if (decision.kind === 'resolved') resolve(decision.record);
        else reject(this.readFailure('read', key, this.policy.readQuorum, failures));
      };
      const calls = this.stores.map(async (_, i) => {
        const result = await this.call(i, (store) => store.get(key));
        if (result.ok) {
          if (result.value) this.observe(result.value.version);
          answers.push({ replica: i, record: result.value });
        } else failures.push({ i, error: result.error, timedOut: result.timedOut });
        evaluate();
      });
      this.track(
        Promise.all(calls).then(async () => {
          const final = decideQuorumRead({ answers, failed: failures.length, pending: 0 }, this.policy);
          if (final.kind === 'resolved' && final.committed) await this.repair(answers, final.record);
        }),
      );
    });
  }

  /**
   * Eventual/causal read of one key: the first answer at or past `required` (any answer when undefined).
   * All answers are merged into the HLC and stale replicas repaired with the newest version once all answered.
   */
  private readFirst(key: string, required: string | undefined): Promise<VersionedRecord | undefined> {
    const answers: ReplicaAnswer<VersionedRecord>[] = [];
    const failures: { i: number; error: MeshgateError; timedOut: boolean }[] = [];
    return new Promise<VersionedRecord | undefined>((resolve, reject) => {
      let done = false;
      const calls = this.stores.map(async (_, i) => {
        const result = await this.call(i, (store) => store.get(key));
        if (!result.ok) {
          failures.push({ i, error: result.error, timedOut: result.timedOut });
          return;
        }
        if (result.value) this.observe(result.value.version);
        answers.push({ replica: i, record: result.value });
        if (!done && (required === undefined || (result.value !== undefined && compareVersions(result.value.version, required) >= 0))) {
          done = true;
          resolve(result.value);
        }
      });
      this.track(
        Promise.all(calls).then(async () => {
          if (!done) {
            done = true;
            reject(answers.length === 0 ? this.readFailure('read', key, 1, failures) : this.causalFailure(key, required ?? '', answers, failures));
          }
          await this.repair(answers, newestRecord(answers.map((a) => a.record)));
        }),
      );
    });
  }

  /** Lists from the replicas, merges per key and repairs; resolves with every record (tombstones included). */
  private listMerged(prefix: string, level: Consistency, required: ReadonlyMap<string, string>): Promise<VersionedRecord[]> {
    const n = this.stores.length;
    const lists = new Map<number, VersionedRecord[]>();
    const failures: { i: number; error: MeshgateError; timedOut: boolean }[] = [];
    const needed = level === 'strong' ? this.policy.readQuorum : 1;
    return new Promise<VersionedRecord[]>((resolve, reject) => {
      let done = false;
      const evaluate = (): void => {
        if (done) return;
        const pending = n - lists.size - failures.length;
        if (lists.size + pending < needed) {
          done = true;
          reject(this.readFailure('list', prefix, needed, failures));
          return;
        }
        if (lists.size < needed) return;
        if (level === 'strong') {
          if (pending > 0 && !listsAgree([...lists.values()])) return;
          resolve(this.mergeStrong(lists, failures.length + pending));
          done = true;
          return;
        }
        const merged = mergeNewest(lists);
        if (unmet(merged, required).length === 0) {
          done = true;
          resolve(merged);
        } else if (pending === 0) {
          done = true;
          const missing = unmet(merged, required);
          reject(
            new MeshgateError(
              'unavailable',
              `causal list of ${JSON.stringify(prefix)}: no store has caught up with the session for ${missing.length} key(s), e.g. ${JSON.stringify(missing[0])} (needs version ${required.get(missing[0] ?? '') ?? ''}); retry later`,
              { details: { prefix, keys: missing.slice(0, 10) } },
            ),
          );
        }
      };
      const calls = this.stores.map(async (_, i) => {
        const result = await this.call(i, (store) => store.list(prefix));
        if (result.ok) {
          for (const record of result.value) this.observe(record.version);
          lists.set(i, result.value);
        } else failures.push({ i, error: result.error, timedOut: result.timedOut });
        evaluate();
      });
      this.track(
        Promise.all(calls).then(async () => {
          const keys = new Set<string>();
          for (const list of lists.values()) for (const record of list) keys.add(record.key);
          for (const key of keys) {
            const answers = answersFor(lists, key);
            if (consistencyFor(this.table, key) === 'strong') {
              const final = decideQuorumRead({ answers, failed: failures.length, pending: 0 }, this.policy);
              if (final.kind === 'resolved' && final.committed) await this.repair(answers, final.record);
            } else {
              await this.repair(answers, newestRecord(answers.map((a) => a.record)));
            }
          }
        }),
      );
    });
  }

  /** Per key, the quorum decision over the lists received so far (replicas not heard from count as failed). */
  private mergeStrong(lists: ReadonlyMap<number, VersionedRecord[]>, failed: number): VersionedRecord[] {
    const keys = new Set<string>();
    for (const list of lists.values()) for (const record of list) keys.add(record.key);
    const out: VersionedRecord[] = [];
    for (const key of [...keys].sort(compareKeys)) {
      const decision = decideQuorumRead({ answers: answersFor(lists, key), failed, pending: 0 }, this.policy);
      if (decision.kind === 'resolved' && decision.record) out.push(decision.record);
    }
    return out;
  }

  /** Writes `target` (with `older`) to each replica that answered with something older or nothing. */
  private async repair(answers: readonly ReplicaAnswer[], target: VersionedRecord | undefined): Promise<void> {
    if (!target) return;
    await Promise.all(
      staleReplicas(answers, target).map(async (i) => {
        const result = await this.call(i, (store) => store.put(target, OLDER));
        if (result.ok) this.counters.repairs += 1;
      }),
    );
  }

  /** Fewer than `needed` stores can answer; "reached" counts the stores that have not failed (answered or pending). */
  private readFailure(operation: string, subject: string, needed: number, failures: readonly { i: number; error: MeshgateError; timedOut: boolean }[]): MeshgateError {
    const reached = this.stores.length - failures.length;
    const issues = [...failures].sort((a, b) => a.i - b.i).map((f) => ({ store: this.nameOf(f.i), reason: this.reason(f.error, f.timedOut) }));
    return new MeshgateError('unavailable', quorumMessage(operation, subject, reached, this.stores.length, needed, issues), {
      cause: new AggregateError(failures.map((f) => f.error)),
      details: { [operation === 'list' ? 'prefix' : 'key']: subject, stores: Object.fromEntries(issues.map((issue) => [issue.store, issue.reason])) },
    });
  }

  private causalFailure(key: string, required: string, answers: readonly ReplicaAnswer[], failures: readonly { i: number; error: MeshgateError; timedOut: boolean }[]): MeshgateError {
    const heard = [...answers].sort((a, b) => a.replica - b.replica).map((a) => `${this.nameOf(a.replica)} has ${a.record ? `version ${a.record.version}` : 'nothing'}`);
    const failed = [...failures].sort((a, b) => a.i - b.i).map((f) => `${this.nameOf(f.i)} ${this.reason(f.error, f.timedOut)}`);
    return new MeshgateError(
      'unavailable',
      `causal read of ${JSON.stringify(key)}: no store has caught up with the session (needs version ${required} or newer): ${[...heard, ...failed].join(', ')}; retry later`,
      { details: { key, required } },
    );
  }

  // -------------------------------------------------------------------------------------------------------
  // Plumbing

  /** One store call with the per-call timeout. Never throws; counts failures per store. */
  private async call<T>(i: number, operation: (store: KeyValueStore) => Promise<T>): Promise<CallResult<T>> {
    const store = this.stores[i];
    if (!store) throw new MeshgateError('internal', `no store at index ${i}`);
    let started: Promise<T>;
    try {
      started = operation(store);
    } catch (err) {
      started = Promise.reject(err);
    }
    const late: Promise<unknown> = started.then(
      () => undefined,
      () => undefined,
    );
    const timer = new AbortController();
    const timeout = this.clock.sleep(this.timeoutMs, timer.signal).then(
      () => 'timeout' as const,
      () => new Promise<never>(() => undefined), // aborted because the call settled first
    );
    try {
      const winner = await Promise.race([started.then((value) => ({ value })), timeout]);
      if (winner === 'timeout') {
        this.failed(i);
        return { ok: false, error: new MeshgateError('timeout', `${store.name} timed out after ${this.timeoutMs} ms`), timedOut: true, late };
      }
      return { ok: true, value: winner.value };
    } catch (err) {
      const error = asMeshgateError(err);
      if (!ANSWERS.has(error.code)) this.failed(i);
      return { ok: false, error, timedOut: false, late };
    } finally {
      timer.abort();
    }
  }

  private failed(i: number): void {
    const name = this.nameOf(i);
    this.failuresByStore[name] = (this.failuresByStore[name] ?? 0) + 1;
  }

  private reason(error: MeshgateError, timedOut: boolean): string {
    if (timedOut) return `timed out after ${this.timeoutMs} ms`;
    switch (error.code) {
      case 'unavailable':
        return 'unavailable';
      case 'throttled':
        return 'throttled';
      case 'timeout':
        return 'timed out';
      case 'unauthorized':
        return 'refused our credentials';
      case 'validation':
        return 'rejected the record as invalid';
      default:
        return `failed (${error.code})`;
    }
  }

  private nameOf(i: number): string {
    return this.stores[i]?.name ?? `store#${i}`;
  }

  /** Runs `attempt` after each backoff delay until it reports done or the budget is spent. */
  private async withRetry(attempt: () => Promise<boolean>, immediately: boolean): Promise<boolean> {
    for (let n = 0; n < this.retryPolicy.attempts + (immediately ? 1 : 0); n += 1) {
      const delayIndex = immediately ? n - 1 : n;
      if (delayIndex >= 0) {
        try {
          await this.clock.sleep(backoffDelay(delayIndex, this.retryPolicy, this.random()), this.closing.signal);
        } catch {
          return false; // closing
        }
      }
      if (this.closing.signal.aborted) return false;
      if (await attempt()) return true;
    }
    return false;
  }

  /** Waits for a lost call to settle, at most a few call timeouts (a hung call never blocks background work). */
  private async boundedWait(late: Promise<unknown>): Promise<void> {
    const timer = new AbortController();
    try {
      await Promise.race([late, this.clock.sleep(this.timeoutMs * 4, timer.signal).catch(() => undefined)]);
    } finally {
      timer.abort();
    }
  }

  private track(task: Promise<unknown>): void {
    const tracked: Promise<void> = task.then(
      () => undefined,
      (err: unknown) => {
        this.logger?.error({ err: asMeshgateError(err).message }, 'replicated store background task failed');
      },
    );
    this.tasks.add(tracked);
    void tracked.finally(() => this.tasks.delete(tracked));
  }

  private tick(): string {
    this.hlc = tickHlc(this.hlc, this.clock.now(), this.nodeId);
    return encodeHlc(this.hlc);
  }

  /** Merges a version seen elsewhere into the HLC (only when it is ahead, so reads do not inflate the counter). */
  private observe(version: string): void {
    let remote: Hlc;
    try {
      remote = decodeHlc(version);
    } catch {
      return; // not one of ours; it still orders by string comparison
    }
    if (compareHlc(remote, this.hlc) > 0) this.hlc = receiveHlc(this.hlc, remote, this.clock.now(), this.nodeId);
  }

  private openSession(session: CausalSession | undefined): OpenSession | undefined {
    if (session === undefined) return undefined;
    if (session === null || typeof session !== 'object') throw new MeshgateError('validation', 'invalid causal session: expected an object with a token string');
    let state: SessionState = decodeSessionToken(session.token);
    if (state.horizon !== undefined) this.observe(state.horizon);
    const limit = this.sessionKeyLimit;
    return {
      get state() {
        return state;
      },
      observe(key: string, version: string) {
        state = observeInSession(state, key, version, limit);
        session.token = encodeSessionToken(state);
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------------------

type Draft = Omit<VersionedRecord, 'version'>;

interface OpenSession {
  readonly state: SessionState;
  observe(key: string, version: string): void;
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new MeshgateError('validation', `${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

function toEntry<T extends JsonValue>(record: VersionedRecord): Entry<T> {
  return {
    key: record.key,
    value: record.value as T,
    version: record.version,
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
  };
}

function refusalText(reason: 'newer' | 'changed' | 'exists'): string {
  if (reason === 'newer') return 'refused it (holds a newer version)';
  if (reason === 'changed') return 'refused it (holds a newer version than expected)';
  return 'refused it (holds a live entry)';
}


function answersFor(lists: ReadonlyMap<number, readonly VersionedRecord[]>, key: string): ReplicaAnswer<VersionedRecord>[] {
  return [...lists.entries()].map(([replica, list]) => ({ replica, record: list.find((record) => record.key === key) }));
}

function listsAgree(lists: readonly (readonly VersionedRecord[])[]): boolean {
  const [first, ...rest] = lists;
  if (!first) return true;
  const signature = (list: readonly VersionedRecord[]): string => list.map((r) => `${r.key}\u0000${r.version}`).sort().join('\u0001');
  const expected = signature(first);
  return rest.every((list) => signature(list) === expected);
}

function mergeNewest(lists: ReadonlyMap<number, readonly VersionedRecord[]>): VersionedRecord[] {
  const byName = new Map<string, VersionedRecord>();
  for (const list of lists.values()) {
    for (const record of list) {
      const current = byName.get(record.key);
      if (!current || compareVersions(record.version, current.version) > 0) byName.set(record.key, record);
    }
  }
  return [...byName.values()].sort((a, b) => compareKeys(a.key, b.key));
}

function unmet(merged: readonly VersionedRecord[], required: ReadonlyMap<string, string>): string[] {
  if (required.size === 0) return [];
  const have = new Map(merged.map((record) => [record.key, record.version]));
  return [...required.entries()].filter(([key, version]) => compareVersions(have.get(key) ?? '', version) < 0).map(([key]) => key);
}
