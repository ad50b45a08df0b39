/**
 * Leader lease over the replicated state store: the I/O around the pure decisions of shared/core/lease.ts.
 *
 * The record lives under one key of a `strong` key space of the {@link StateStore} (the replicated store writes it
 * with compare-and-set on a quorum of the three stores, so "holds the lease" means "holds it on a majority").
 * Each `tick()` reads the record, decides, and writes with `expectedVersion` = the version it read (`null` when
 * absent); a `conflict` means another node won the race. The time used for `expiresAt` and for the acting bound is
 * read before the read, so it precedes the write: the holder's bound is conservative.
 */
import { asMeshgateError, type MeshgateError } from '../core/errors';
import { DEFAULT_LEASE_CONFIG, decideLease, parseLeaseRecord, releaseLease, type LeaseConfig, type LeaseRecord } from '../core/lease';
import type { Clock } from '../ports/clock';
import type { StateStore } from '../ports/state-store';

export const DEFAULT_LEASE_KEY = 'scheduler/lease';

export interface LeaderLeaseOptions {
  readonly store: StateStore;
  readonly clock: Pick<Clock, 'now'>;
  /** This node's id, unique per running scheduler instance. */
  readonly nodeId: string;
  /** Default {@link DEFAULT_LEASE_KEY}; must be in a `strong` key space. */
  readonly key?: string;
  readonly config?: LeaseConfig;
}

export type LeadershipStatus =
  | {
      readonly leader: true;
      readonly term: number;
      /** Act (e.g. apply DNS with `term` as the fence) only while `clock.now() <= actUntil`. */
      readonly actUntil: number;
      /** Call `tick()` again by then. */
      readonly nextTickAt: number;
    }
  | {
      readonly leader: false;
      readonly holder?: string;
      readonly term?: number;
      readonly nextTickAt: number;
      /** Why the last tick could not write (store unavailable...), when it couldn't. */
      readonly error?: MeshgateError;
    };

export class LeaderLease {
  private readonly key: string;
  private readonly config: LeaseConfig;
  /** Term and bound of our last successful write; leadership lapses at `actUntil` unless renewed. */
  private held: { term: number; actUntil: number; renewAt: number } | undefined;
  /** Highest term seen, so a new term is always above anything this node has observed. */
  private highestTerm = 0;

  constructor(private readonly options: LeaderLeaseOptions) {
    this.key = options.key ?? DEFAULT_LEASE_KEY;
    this.config = options.config ?? DEFAULT_LEASE_CONFIG;
  }

  /** True while this node may act as leader at `now` (its last successful write's bound has not passed). */
  isLeader(now = this.options.clock.now()): boolean {
    return this.held !== undefined && now <= this.held.actUntil;
  }

  /** When the lease this node holds is next due for renewal; undefined when it holds none at `now`. */
  renewDueAt(now = this.options.clock.now()): number | undefined {
    return this.isLeader(now) ? this.held?.renewAt : undefined;
  }

  /** Term of the lease this node holds, while it holds one. */
  term(now = this.options.clock.now()): number | undefined {
    return this.isLeader(now) ? this.held?.term : undefined;
  }

  /**
   * Reads, decides, writes. Never throws for store trouble: leadership then lapses at the previous bound.
   * `renewNow` renews a lease we hold even if no renewal is due yet: the last call before a pause (the end of a
   * timer invocation) so the lease spans the gap to the next one.
   */
  async tick(options: { readonly renewNow?: boolean } = {}): Promise<LeadershipStatus> {
    const { store, clock, nodeId } = this.options;
    const t0 = clock.now();
    let entry;
    try {
      entry = await store.get(this.key);
    } catch (err) {
      return this.lapsing(t0, asMeshgateError(err, 'unavailable'));
    }
    let current: LeaseRecord | undefined;
    try {
      current = entry ? parseLeaseRecord(entry.value) : undefined;
    } catch (err) {
      return this.lapsing(t0, asMeshgateError(err));
    }
    if (current) this.highestTerm = Math.max(this.highestTerm, current.term);
    const decision = decideLease(current, nodeId, t0, this.config, this.highestTerm, options);

    if (decision.action === 'follow') {
      this.held = undefined;
      return { leader: false, holder: decision.holder, term: decision.term, nextTickAt: Math.min(decision.retryAt, t0 + this.config.renewEveryMs) };
    }
    if (decision.action === 'hold') {
      this.held = { term: decision.term, actUntil: Math.min(decision.actUntil, this.held?.actUntil ?? decision.actUntil), renewAt: decision.renewAt };
      return this.status(t0);
    }
    try {
      await store.put(this.key, decision.next, { expectedVersion: entry?.version ?? null });
    } catch (err) {
      const error = asMeshgateError(err, 'unavailable');
      if (error.code === 'conflict') {
        this.held = undefined;
        return { leader: false, nextTickAt: t0 + this.config.renewEveryMs, error };
      }
      return this.lapsing(t0, error);
    }
    this.highestTerm = Math.max(this.highestTerm, decision.next.term);
    this.held = { term: decision.next.term, actUntil: decision.actUntil, renewAt: t0 + this.config.renewEveryMs };
    return this.status(t0);
  }

  /** Steps down: expires our record (compare-and-set) so another node can take over at once. Best effort. */
  async release(): Promise<void> {
    const { store, clock, nodeId } = this.options;
    this.held = undefined;
    const entry = await store.get(this.key);
    const next = releaseLease(entry ? parseLeaseRecord(entry.value) : undefined, nodeId, clock.now());
    if (next && entry) await store.put(this.key, next, { expectedVersion: entry.version });
  }

  private status(now: number): LeadershipStatus {
    if (this.held && now <= this.held.actUntil) {
      return { leader: true, term: this.held.term, actUntil: this.held.actUntil, nextTickAt: Math.min(this.held.renewAt, this.held.actUntil) };
    }
    return { leader: false, nextTickAt: now + this.config.renewEveryMs };
  }

  /** A tick that couldn't write: keep the previous bound (no extension), report the error. */
  private lapsing(now: number, error: MeshgateError): LeadershipStatus {
    const s = this.status(now);
    if (s.leader) return { ...s, nextTickAt: Math.min(s.actUntil, now + Math.min(1_000, this.config.renewEveryMs)) };
    return { leader: false, nextTickAt: now + Math.min(1_000, this.config.renewEveryMs), error };
  }
}
