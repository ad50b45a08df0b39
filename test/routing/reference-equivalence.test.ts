/**
 * The strategies avoid per-pick allocation (no Set, no defineProperty per backend, candidate arrays reused when
 * nothing is filtered out, argmin without key arrays). These properties pin their results to the straightforward
 * implementations they replaced, on random snapshots, contexts and states.
 */
import fc from 'fast-check';
import {
  INITIAL_SELECTION_STATE,
  STRATEGY_NAMES,
  GEO_TIE_KM,
  candidates,
  geographic,
  haversineKm,
  locateBackend,
  locateClient,
  smoothPick,
  strategies,
  type Backend,
  type RequestContext,
  type SelectionState,
  type Snapshot,
} from '../../shared/core/routing';
import { backend, backendsArb, ctxArb, seeded, snap } from './fixtures';

function referenceCandidates(snapshot: Snapshot, ctx: RequestContext): { backends: Backend[]; failedOpen: boolean } {
  const open = snapshot.backends.filter((b) => !(ctx.exclude?.has(b.id) ?? false));
  let tier = open.filter((b) => b.healthy);
  let failedOpen = false;
  if (tier.length === 0 && ctx.failOpen === true) {
    tier = open;
    failedOpen = tier.length > 0;
  }
  const weighted = tier.filter((b) => b.weight > 0);
  if (weighted.length > 0) tier = weighted;
  const other = ctx.preferCloudOtherThan;
  if (other !== undefined) {
    const elsewhere = tier.filter((b) => b.cloud !== other);
    if (elsewhere.length > 0) tier = elsewhere;
  }
  return { backends: tier, failedOpen };
}

const own = (r: Readonly<Record<string, number>>, k: string): number => {
  if (!Object.prototype.hasOwnProperty.call(r, k)) return 0;
  const v = r[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
};

const define = (r: Record<string, number>, key: string, value: number): void => {
  Object.defineProperty(r, key, { value, enumerable: true, writable: true, configurable: true });
};

function referenceSmoothPick(snapshot: Snapshot, among: readonly Backend[], state: SelectionState): { id: string; weights: Record<string, number> } | undefined {
  if (among.length === 0) return undefined;
  const anyWeight = among.some((b) => b.weight > 0);
  const inSet = new Set(among.map((b) => b.id));
  const next: Record<string, number> = {};
  let total = 0;
  let best: Backend | undefined;
  let bestCurrent = 0;
  for (const b of snapshot.backends) {
    const current = own(state.currentWeights, b.id);
    if (!inSet.has(b.id)) {
      if (current !== 0) define(next, b.id, current);
      continue;
    }
    const w = anyWeight ? Math.max(0, b.weight) : 1;
    define(next, b.id, current + w);
    total += w;
    if (best === undefined || current + w > bestCurrent) {
      best = b;
      bestCurrent = current + w;
    }
  }
  if (best === undefined) return undefined;
  define(next, best.id, bestCurrent - total);
  return { id: best.id, weights: next };
}

/** The geographic pool as computed before (a distance array, Math.min over it, a filter). */
function referenceGeographic(snapshot: Snapshot, ctx: RequestContext, state: SelectionState): { id: string | undefined; weights: string; failedOpen: boolean | undefined } {
  const { backends, failedOpen } = referenceCandidates(snapshot, ctx);
  const client = locateClient(ctx.clientGeo);
  let pool: readonly Backend[] = backends;
  if (client !== undefined) {
    const distances = backends.map((b) => {
      const at = locateBackend(b);
      return at === undefined ? Infinity : haversineKm(client, at);
    });
    const nearest = Math.min(...distances);
    if (Number.isFinite(nearest)) pool = backends.filter((_, i) => (distances[i] ?? Infinity) <= nearest + GEO_TIE_KM);
  }
  const picked = smoothPick(snapshot, pool, state);
  return { id: picked?.backend.id, weights: JSON.stringify(picked?.state.currentWeights), failedOpen: picked === undefined ? undefined : failedOpen };
}

const ids = ['b0', 'b1', 'b2', 'b3', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '10'];
const stateArb: fc.Arbitrary<SelectionState> = fc.oneof(
  fc.constant(INITIAL_SELECTION_STATE),
  fc.record({ cursor: fc.nat(), currentWeights: fc.dictionary(fc.constantFrom(...ids), fc.integer({ min: -500, max: 500 })) }),
);
const renamed = (bs: Backend[], names: readonly string[]): Backend[] => bs.map((b, i) => ({ ...b, id: names[i % names.length] as string }));
const inputArb = backendsArb.chain((bs) =>
  fc.record({
    backends: fc.oneof(fc.constant(bs), fc.shuffledSubarray(ids, { minLength: bs.length, maxLength: bs.length }).map((names) => renamed(bs, names))),
    state: stateArb,
    seed: fc.integer(),
  }).chain((r) => fc.record({ backends: fc.constant(r.backends), state: fc.constant(r.state), seed: fc.constant(r.seed), ctx: ctxArb(r.backends.map((b) => b.id)) })),
);
const entries = (r: Readonly<Record<string, number>>): Array<[string, number]> => Object.keys(r).map((k) => [k, r[k] as number]);

describe('allocation-free strategies match the reference implementations', () => {
  it('candidates: same backends, same order, same failedOpen (property)', () => {
    fc.assert(
      fc.property(inputArb, ({ backends, ctx }) => {
        const got = candidates({ backends }, ctx);
        const want = referenceCandidates({ backends }, ctx);
        expect([...got.backends]).toEqual(want.backends);
        expect(got.failedOpen).toBe(want.failedOpen);
      }),
    );
  });

  it('smoothPick: same backend and same current weights (own properties, same order), for any subset in any order (property)', () => {
    fc.assert(
      fc.property(inputArb, fc.func(fc.boolean()), fc.boolean(), ({ backends, state }, keepIt, reverse) => {
        const among = backends.filter((b, i) => keepIt(b.id, i));
        if (reverse) among.reverse();
        const got = smoothPick({ backends }, among, state);
        const want = referenceSmoothPick({ backends }, among, state);
        expect(got?.backend.id).toBe(want?.id);
        if (got !== undefined && want !== undefined) {
          expect(Object.getPrototypeOf(got.state.currentWeights)).toBe(Object.prototype);
          expect(entries(got.state.currentWeights)).toEqual(entries(want.weights));
          expect(got.state.cursor).toBe(state.cursor);
        }
      }),
    );
  });

  it('geographic: same pool, pick and state as the distance-array version (property)', () => {
    fc.assert(
      fc.property(inputArb, ({ backends, ctx, state }) => {
        const got = geographic({ backends }, ctx, state);
        const want = referenceGeographic({ backends }, ctx, state);
        expect({ id: got?.backend.id, weights: JSON.stringify(got?.state.currentWeights), failedOpen: got?.failedOpen }).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('every strategy is deterministic and leaves its input state untouched (property)', () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(...STRATEGY_NAMES), ({ backends, ctx, state, seed }, name) => {
        const before = JSON.stringify(state);
        const a = strategies[name]({ backends }, { ...ctx, rand: seeded(seed) }, state);
        const b = strategies[name]({ backends }, { ...ctx, rand: seeded(seed) }, state);
        expect(JSON.stringify(state)).toBe(before);
        expect(a?.backend.id).toBe(b?.backend.id);
        expect(JSON.stringify(a?.state)).toBe(JSON.stringify(b?.state));
      }),
    );
  });

  it('keeps Object.prototype names as plain own weights and leaves the prototype alone', () => {
    const s = snap(backend('__proto__', { weight: 2 }), backend('toString', { weight: 1 }), backend('hasOwnProperty', { weight: 1 }));
    const first = smoothPick(s, s.backends, INITIAL_SELECTION_STATE);
    expect(first?.backend.id).toBe('__proto__');
    const w = first?.state.currentWeights ?? {};
    expect(Object.getPrototypeOf(w)).toBe(Object.prototype);
    expect(Object.keys(w)).toEqual(['__proto__', 'toString', 'hasOwnProperty']);
    expect(JSON.parse(JSON.stringify(w))).toEqual({ toString: 1, hasOwnProperty: 1, ['__proto__']: -2 });
  });
});
