import {
  INITIAL_SELECTION_STATE,
  candidates,
  costOptimized,
  geographic,
  latencyP2c,
  performanceOptimized,
  performanceScore,
  roundRobin,
  strategies,
  STRATEGY_NAMES,
  updateEwma,
  decayAlpha,
  type Snapshot,
} from '../../shared/core/routing';
import { MeshgateError } from '../../shared/core/errors';
import { backend, seeded, snap } from './fixtures';

const ids = (s: Snapshot): string[] => s.backends.map((b) => b.id);

describe('candidate set (shared by every strategy)', () => {
  const s = snap(
    backend('a', { cloud: 'aws' }),
    backend('b', { cloud: 'azure', healthy: false }),
    backend('c', { cloud: 'gcp' }),
    backend('d', { cloud: 'aws', weight: 0 }),
  );

  it('keeps healthy, non-excluded, non-drained backends in snapshot order', () => {
    expect(ids({ backends: candidates(s).backends })).toEqual(['a', 'c']);
    expect(ids({ backends: candidates(s, { exclude: new Set(['a']) }).backends })).toEqual(['c']);
  });

  it('returns nothing when every healthy backend is excluded, unless failOpen', () => {
    const ctx = { exclude: new Set(['a', 'c', 'd']) };
    expect(candidates(s, ctx)).toEqual({ backends: [], failedOpen: false });
    const open = candidates(s, { ...ctx, failOpen: true });
    expect(ids({ backends: open.backends })).toEqual(['b']);
    expect(open.failedOpen).toBe(true);
  });

  it('never fails open to an excluded backend', () => {
    expect(candidates(s, { exclude: new Set(['a', 'b', 'c', 'd']), failOpen: true }).backends).toEqual([]);
  });

  it('uses drained backends only when every candidate weighs 0', () => {
    expect(ids({ backends: candidates(s, { exclude: new Set(['a', 'c']) }).backends })).toEqual(['d']);
  });

  it('prefers another cloud on retries when one is available', () => {
    expect(ids({ backends: candidates(s, { preferCloudOtherThan: 'aws' }).backends })).toEqual(['c']);
    const onlyAws = snap(backend('a'), backend('x', { cloud: 'gcp', healthy: false }));
    expect(ids({ backends: candidates(onlyAws, { preferCloudOtherThan: 'aws' }).backends })).toEqual(['a']);
  });
});

describe('registry', () => {
  it('has one strategy per name', () => {
    expect(Object.keys(strategies).sort()).toEqual([...STRATEGY_NAMES].sort());
  });

  it('every strategy returns undefined on an empty snapshot and when all are unhealthy without failOpen', () => {
    for (const name of STRATEGY_NAMES) {
      expect(strategies[name](snap())).toBeUndefined();
      expect(strategies[name](snap(backend('a', { healthy: false })))).toBeUndefined();
      const sel = strategies[name](snap(backend('a', { healthy: false })), { failOpen: true });
      expect(sel?.backend.id).toBe('a');
      expect(sel?.failedOpen).toBe(true);
    }
  });
});

describe('round robin', () => {
  it('cycles through candidates and advances the cursor', () => {
    const s = snap(backend('a'), backend('b', { weight: 9 }), backend('c'));
    let state = INITIAL_SELECTION_STATE;
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const sel = roundRobin(s, {}, state)!;
      seen.push(sel.backend.id);
      state = sel.state;
    }
    expect(seen).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(state.cursor).toBe(6);
  });

  it('recovers from a corrupt cursor', () => {
    const sel = roundRobin(snap(backend('a'), backend('b')), {}, { cursor: -3, currentWeights: {} });
    expect(sel?.backend.id).toBe('a');
  });
});

describe('latency (power of two choices over EWMA)', () => {
  const s = snap(
    backend('slow', { latencyEwmaMs: 300 }),
    backend('fast', { latencyEwmaMs: 20 }),
    backend('mid', { latencyEwmaMs: 80 }),
    backend('unknown'),
  );

  it('of the two drawn candidates, takes the lower EWMA', () => {
    // rand 0 → index 0 (slow); second draw 0.99 over the 3 others → index 3 (unknown): slow wins (known beats unknown)
    const draws = [0, 0.99];
    expect(latencyP2c(s, { rand: () => draws.shift() ?? 0 })?.backend.id).toBe('slow');
    const draws2 = [0, 0.2]; // second index 0 of the others → fast
    expect(latencyP2c(s, { rand: () => draws2.shift() ?? 0 })?.backend.id).toBe('fast');
  });

  it('never picks the slowest of three with distinct latencies', () => {
    const three = snap(backend('a', { latencyEwmaMs: 1 }), backend('b', { latencyEwmaMs: 2 }), backend('c', { latencyEwmaMs: 3 }));
    const rand = seeded(7);
    for (let i = 0; i < 200; i++) expect(latencyP2c(three, { rand })?.backend.id).not.toBe('c');
  });

  it('without rand picks the overall fastest, deterministically', () => {
    expect(latencyP2c(s)?.backend.id).toBe('fast');
  });

  it('survives a misbehaving random source', () => {
    for (const r of [1, -1, NaN, Infinity]) expect(latencyP2c(s, { rand: () => r })).toBeDefined();
  });

  it('updateEwma blends samples and validates alpha', () => {
    expect(updateEwma(undefined, 50, 0.2)).toBe(50);
    expect(updateEwma(100, 50, 0.2)).toBeCloseTo(90);
    expect(updateEwma(100, 50, 1)).toBe(50);
    expect(() => updateEwma(100, 50, 0)).toThrow(MeshgateError);
    expect(() => updateEwma(100, -1, 0.5)).toThrow(MeshgateError);
    expect(decayAlpha(1000, 1000)).toBeCloseTo(1 - Math.exp(-1));
    expect(decayAlpha(0, 1000)).toBeGreaterThan(0);
  });
});

describe('geographic', () => {
  const s = snap(
    backend('virginia', { cloud: 'aws', region: 'us-east-1' }),
    backend('frankfurt', { cloud: 'gcp', region: 'europe-west3' }),
    backend('tokyo', { cloud: 'azure', region: 'japaneast' }),
    backend('pinned', { cloud: 'aws', region: 'custom', latitude: -33.9, longitude: 151.2 }),
  );

  it('routes to the nearest region by country centroid or coordinates', () => {
    expect(geographic(s, { clientGeo: { country: 'DE' } })?.backend.id).toBe('frankfurt');
    expect(geographic(s, { clientGeo: { country: 'us' } })?.backend.id).toBe('virginia');
    expect(geographic(s, { clientGeo: { country: 'KR' } })?.backend.id).toBe('tokyo');
    expect(geographic(s, { clientGeo: { latitude: -37.8, longitude: 145 } })?.backend.id).toBe('pinned');
  });

  it('skips the nearest when it is unhealthy or excluded', () => {
    expect(geographic(s, { clientGeo: { country: 'DE' }, exclude: new Set(['frankfurt']) })?.backend.id).toBe('virginia');
  });

  it('shares a region between backends by weight', () => {
    const two = snap(
      backend('fra-1', { cloud: 'gcp', region: 'europe-west3', weight: 2 }),
      backend('fra-2', { cloud: 'gcp', region: 'europe-west3', weight: 1 }),
      backend('virginia', { region: 'us-east-1' }),
    );
    let state = INITIAL_SELECTION_STATE;
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const sel = geographic(two, { clientGeo: { country: 'DE' } }, state)!;
      seen.push(sel.backend.id);
      state = sel.state;
    }
    expect(seen).toEqual(['fra-1', 'fra-2', 'fra-1']);
  });

  it('falls back to weighted round robin when the client location is unknown', () => {
    const sel = geographic(s, { clientGeo: { country: 'ZZ' } });
    expect(sel?.backend.id).toBe('virginia');
    expect(sel?.state.currentWeights).toEqual({ virginia: -3, frankfurt: 1, tokyo: 1, pinned: 1 });
  });

  it('ranks backends without a known location last', () => {
    const withUnknown = snap(backend('nowhere', { region: 'mars-1' }), backend('tokyo', { cloud: 'azure', region: 'japaneast' }));
    expect(geographic(withUnknown, { clientGeo: { country: 'GB' } })?.backend.id).toBe('tokyo');
  });
});

describe('cost-optimised', () => {
  const s = snap(
    backend('cheap-slow', { costPerMillion: 0.2, latencyEwmaMs: 400 }),
    backend('mid', { costPerMillion: 0.5, latencyEwmaMs: 90 }),
    backend('pricey-fast', { costPerMillion: 2, latencyEwmaMs: 20 }),
    backend('mid-twin', { costPerMillion: 0.5, latencyEwmaMs: 60 }),
    backend('unmeasured', { costPerMillion: 0.1 }),
  );

  it('takes the cheapest backend within the latency budget (ties: lower latency)', () => {
    expect(costOptimized(s, { latencyBudgetMs: 100 })?.backend.id).toBe('mid-twin');
    expect(costOptimized(s, { latencyBudgetMs: 500 })?.backend.id).toBe('cheap-slow');
  });

  it('takes the fastest when nothing is within budget', () => {
    expect(costOptimized(s, { latencyBudgetMs: 5 })?.backend.id).toBe('pricey-fast');
  });

  it('without a budget takes the cheapest overall, unmeasured latency included', () => {
    expect(costOptimized(s)?.backend.id).toBe('unmeasured');
  });

  it('ranks unknown cost last', () => {
    const t = snap(backend('unpriced', { latencyEwmaMs: 10 }), backend('priced', { latencyEwmaMs: 50, costPerMillion: 9 }));
    expect(costOptimized(t, { latencyBudgetMs: 100 })?.backend.id).toBe('priced');
  });
});

describe('performance-optimised', () => {
  it('computes the documented score', () => {
    const b = backend('x', { latencyEwmaMs: 50, errorRate: 0.02, load: 0.5 });
    expect(performanceScore(b)).toBeCloseTo(0.5 + 0.2 + 0.5);
    expect(performanceScore(backend('y'))).toBe(Infinity);
    expect(performanceScore(backend('y', { load: 1 }), { latency: 0, errorRate: 10, load: 1, latencyRefMs: 100 })).toBe(1);
  });

  it('picks the lowest score and honours weight overrides', () => {
    const s = snap(
      backend('fast-flaky', { latencyEwmaMs: 20, errorRate: 0.2 }),
      backend('slow-solid', { latencyEwmaMs: 150, errorRate: 0 }),
      backend('busy', { latencyEwmaMs: 30, load: 0.95 }),
    );
    expect(performanceOptimized(s)?.backend.id).toBe('busy');
    expect(performanceOptimized(s, { performanceWeights: { load: 5 } })?.backend.id).toBe('slow-solid');
    expect(performanceOptimized(s, { performanceWeights: { errorRate: 0, load: 0 } })?.backend.id).toBe('fast-flaky');
  });

  it('rejects invalid weights', () => {
    expect(() => performanceOptimized(snap(backend('a')), { performanceWeights: { latencyRefMs: 0 } })).toThrow(MeshgateError);
    expect(() => performanceOptimized(snap(backend('a')), { performanceWeights: { load: -1 } })).toThrow(/load/);
  });
});
