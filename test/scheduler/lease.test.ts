import fc from 'fast-check';
import {
  DEFAULT_LEASE_CONFIG,
  actUntil,
  decideLease,
  holdsMajority,
  mustStopActing,
  newestLease,
  parseLeaseRecord,
  releaseLease,
  validateLeaseConfig,
  type LeaseConfig,
  type LeaseRecord,
} from '../../shared/core/lease';

const cfg: LeaseConfig = { leaseMs: 15_000, renewEveryMs: 5_000, maxSkewMs: 1_000, safetyMs: 1_000 };
const T0 = 1_700_000_000_000;

describe('decideLease', () => {
  it('defaults to a 12 s lease renewed every 5 s, so a follower retrying at expiry takes over within 12 s', () => {
    expect(DEFAULT_LEASE_CONFIG).toEqual({ leaseMs: 12_000, renewEveryMs: 5_000, maxSkewMs: 1_000, safetyMs: 1_000 });
    expect(decideLease(undefined, 'a', T0)).toMatchObject({ next: { expiresAt: T0 + 12_000 }, actUntil: T0 + 10_000 });
  });

  it('acquires a vacant lease at term 1 (or above any term seen elsewhere)', () => {
    expect(decideLease(undefined, 'a', T0, cfg)).toEqual({ action: 'acquire', next: { holder: 'a', term: 1, expiresAt: T0 + 15_000 }, actUntil: T0 + 13_000 });
    expect(decideLease(undefined, 'a', T0, cfg, 7)).toMatchObject({ action: 'acquire', next: { term: 8 } });
  });

  it('holds its own lease until the renew interval, then renews with the same term', () => {
    const mine: LeaseRecord = { holder: 'a', term: 3, expiresAt: T0 + 15_000 };
    expect(decideLease(mine, 'a', T0 + 4_999, cfg)).toEqual({ action: 'hold', term: 3, actUntil: T0 + 13_000, renewAt: T0 + 5_000 });
    expect(decideLease(mine, 'a', T0 + 5_000, cfg)).toEqual({ action: 'renew', next: { holder: 'a', term: 3, expiresAt: T0 + 20_000 }, actUntil: T0 + 18_000 });
  });

  it('takes its own lapsed lease back with a new term (somebody may have acted in between)', () => {
    const mine: LeaseRecord = { holder: 'a', term: 3, expiresAt: T0 };
    expect(decideLease(mine, 'a', T0, cfg)).toMatchObject({ action: 'takeover', next: { holder: 'a', term: 4 } });
  });

  it("follows someone else's live lease and takes it over only once expired, with term + 1", () => {
    const theirs: LeaseRecord = { holder: 'b', term: 5, expiresAt: T0 + 15_000 };
    expect(decideLease(theirs, 'a', T0 + 15_000, cfg)).toEqual({ action: 'follow', holder: 'b', term: 5, retryAt: T0 + 15_001 });
    expect(decideLease(theirs, 'a', T0 + 15_001, cfg)).toEqual({ action: 'takeover', next: { holder: 'a', term: 6, expiresAt: T0 + 30_001 }, actUntil: T0 + 28_001 });
    expect(decideLease(theirs, 'a', T0 + 20_000, cfg, 9)).toMatchObject({ next: { term: 10 } });
  });

  it('tells a holder to stop acting at acquiredAt + lease - skew - safety without a renewal', () => {
    expect(actUntil(T0, cfg)).toBe(T0 + 13_000);
    expect(mustStopActing(T0 + 13_000, T0, cfg)).toBe(false);
    expect(mustStopActing(T0 + 13_001, T0, cfg)).toBe(true);
  });

  it('rejects configs in which the holder could not renew before it must stop', () => {
    expect(() => validateLeaseConfig({ ...cfg, renewEveryMs: 13_000 })).toThrow(/renewEveryMs/);
    expect(() => validateLeaseConfig({ ...cfg, leaseMs: 0 })).toThrow();
    expect(() => decideLease(undefined, 'a', T0, { ...cfg, maxSkewMs: -1 })).toThrow();
    expect(() => validateLeaseConfig(cfg)).not.toThrow();
  });
});

describe('lease helpers', () => {
  it('releases only its own lease, expiring it now and keeping the term', () => {
    const mine: LeaseRecord = { holder: 'a', term: 2, expiresAt: T0 + 10_000 };
    expect(releaseLease(mine, 'a', T0)).toEqual({ holder: 'a', term: 2, expiresAt: T0 - 1 });
    expect(releaseLease(mine, 'b', T0)).toBeUndefined();
    expect(decideLease(releaseLease(mine, 'a', T0), 'b', T0)).toMatchObject({ action: 'takeover', next: { term: 3 } });
  });

  it('picks the newest record across stores and counts a majority', () => {
    const a1: LeaseRecord = { holder: 'a', term: 1, expiresAt: T0 + 5 };
    const b2: LeaseRecord = { holder: 'b', term: 2, expiresAt: T0 + 1 };
    expect(newestLease([a1, undefined, b2])).toBe(b2);
    expect(newestLease([undefined])).toBeUndefined();
    expect(holdsMajority([b2, b2, a1], 'b', 2, T0)).toBe(true);
    expect(holdsMajority([b2, a1, undefined], 'b', 2, T0)).toBe(false);
    expect(holdsMajority([b2, b2, b2], 'b', 2, T0 + 1)).toBe(false);
  });

  it('parses stored records strictly', () => {
    expect(parseLeaseRecord({ holder: 'a', term: 1, expiresAt: 5 })).toEqual({ holder: 'a', term: 1, expiresAt: 5 });
    for (const bad of [null, {}, { holder: '', term: 1, expiresAt: 1 }, { holder: 'a', term: 0, expiresAt: 1 }, { holder: 'a', term: 1.5, expiresAt: 1 }]) {
      expect(() => parseLeaseRecord(bad)).toThrow(expect.objectContaining({ code: 'validation' }));
    }
  });
});

describe('lease safety (simulation)', () => {
  /**
   * Nodes with clocks off by up to ±maxSkew/2 (so any two differ by at most maxSkew) wake up at random real times,
   * read the record, decide, and write it with compare-and-set (instantaneous here). Each successful write lets the
   * writer act over [t, t + (actUntil - localNow)] in real time. No two holders may act at the same real time, and
   * terms never repeat across holders.
   */
  it('never lets two nodes act at the same time when clock skew is within the bound', () => {
    const configArb: fc.Arbitrary<LeaseConfig> = fc
      .record({ leaseMs: fc.integer({ min: 3_000, max: 30_000 }), skew: fc.integer({ min: 0, max: 1_000 }), safety: fc.integer({ min: 0, max: 1_000 }) })
      .map(({ leaseMs, skew, safety }) => ({ leaseMs, maxSkewMs: skew, safetyMs: safety, renewEveryMs: Math.max(1, Math.floor((leaseMs - skew - safety) / 3)) }));
    const arb = configArb.chain((config) =>
      fc.tuple(
        fc.constant(config),
        fc.array(fc.integer({ min: -Math.floor(config.maxSkewMs / 2), max: Math.floor(config.maxSkewMs / 2) }), { minLength: 2, maxLength: 4 }),
        fc.array(fc.record({ node: fc.nat(3), gap: fc.integer({ min: 0, max: config.leaseMs }) }), { minLength: 1, maxLength: 80 }),
      ),
    );
    fc.assert(
      fc.property(arb, ([config, offsets, wakes]) => {
        let record: LeaseRecord | undefined;
        let t = T0;
        const intervals: { node: number; term: number; from: number; to: number }[] = [];
        const termOwner = new Map<number, number>();
        for (const { node: raw, gap } of wakes) {
          t += gap;
          const node = raw % offsets.length;
          const local = t + (offsets[node] ?? 0);
          const d = decideLease(record, `n${node}`, local, config);
          if (d.action === 'acquire' || d.action === 'renew' || d.action === 'takeover') {
            record = d.next;
            intervals.push({ node, term: d.next.term, from: t, to: t + (d.actUntil - local) });
            const owner = termOwner.get(d.next.term);
            expect(owner === undefined || owner === node).toBe(true);
            termOwner.set(d.next.term, node);
          }
        }
        for (const x of intervals) {
          for (const y of intervals) {
            if (x.node !== y.node) expect(x.to < y.from || y.to < x.from).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
