import fc from 'fast-check';
import {
  INITIAL_SELECTION_STATE,
  STRATEGY_NAMES,
  haversineKm,
  strategies,
  type SelectionState,
} from '../../shared/core/routing';
import { backendsArb, ctxArb, seeded } from './fixtures';

const stateArb: fc.Arbitrary<SelectionState> = fc.oneof(
  fc.constant(INITIAL_SELECTION_STATE),
  fc.record({
    cursor: fc.nat(),
    currentWeights: fc.dictionary(fc.constantFrom('b0', 'b1', 'b2', 'b3'), fc.integer({ min: -500, max: 500 })),
  }),
);

const inputArb = backendsArb.chain((backends) =>
  fc.record({
    backends: fc.constant(backends),
    ctx: ctxArb(backends.map((b) => b.id)),
    state: stateArb,
    seed: fc.integer(),
    name: fc.constantFrom(...STRATEGY_NAMES),
  }),
);

describe('strategy properties', () => {
  it('never return an unhealthy or excluded backend while a healthy non-excluded one exists', () => {
    fc.assert(
      fc.property(inputArb, ({ backends, ctx, state, seed, name }) => {
        const exclude = ctx.exclude ?? new Set<string>();
        const sel = strategies[name]({ backends }, { ...ctx, rand: seeded(seed) }, state);
        const healthyLeft = backends.some((b) => b.healthy && !exclude.has(b.id));
        if (healthyLeft) {
          expect(sel).toBeDefined();
          expect(sel?.backend.healthy).toBe(true);
          expect(sel?.failedOpen).toBe(false);
        } else if (!ctx.failOpen) {
          expect(sel).toBeUndefined();
        } else {
          expect(sel === undefined).toBe(backends.every((b) => exclude.has(b.id)));
        }
        if (sel !== undefined) expect(exclude.has(sel.backend.id)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('prefer another cloud whenever a candidate on another cloud exists', () => {
    fc.assert(
      fc.property(inputArb, ({ backends, ctx, state, seed, name }) => {
        const other = ctx.preferCloudOtherThan;
        fc.pre(other !== undefined);
        const exclude = ctx.exclude ?? new Set<string>();
        const sel = strategies[name]({ backends }, { ...ctx, rand: seeded(seed) }, state);
        const elsewhere = backends.some((b) => b.healthy && b.weight > 0 && !exclude.has(b.id) && b.cloud !== other);
        if (elsewhere) expect(sel?.backend.cloud).not.toBe(other);
      }),
      { numRuns: 300 },
    );
  });

  it('are deterministic given the same snapshot, context, state and random source', () => {
    fc.assert(
      fc.property(inputArb, ({ backends, ctx, state, seed, name }) => {
        const run = () => strategies[name]({ backends }, { ...ctx, rand: seeded(seed) }, state);
        expect(run()).toEqual(run());
      }),
      { numRuns: 300 },
    );
  });

  it('do not mutate their inputs', () => {
    fc.assert(
      fc.property(inputArb, ({ backends, ctx, state, seed, name }) => {
        const before = JSON.stringify({ backends, state });
        strategies[name]({ backends }, { ...ctx, rand: seeded(seed) }, state);
        expect(JSON.stringify({ backends, state })).toBe(before);
      }),
      { numRuns: 200 },
    );
  });
});

describe('haversine', () => {
  const point = fc.record({
    latitude: fc.double({ min: -90, max: 90, noNaN: true }),
    longitude: fc.double({ min: -180, max: 180, noNaN: true }),
  });

  it('is symmetric, zero on the same point, and never more than half the circumference', () => {
    fc.assert(
      fc.property(point, point, (a, b) => {
        expect(haversineKm(a, b)).toBe(haversineKm(b, a));
        expect(haversineKm(a, a)).toBe(0);
        expect(haversineKm(a, b)).toBeGreaterThanOrEqual(0);
        expect(haversineKm(a, b)).toBeLessThanOrEqual(Math.PI * 6371.0088 + 1e-6);
      }),
    );
  });

  it('matches known distances', () => {
    const london = { latitude: 51.5074, longitude: -0.1278 };
    const paris = { latitude: 48.8566, longitude: 2.3522 };
    const ny = { latitude: 40.7128, longitude: -74.006 };
    expect(haversineKm(london, paris)).toBeCloseTo(343.5, -1);
    expect(haversineKm(london, ny)).toBeCloseTo(5570, -2);
  });
});
