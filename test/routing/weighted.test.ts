import fc from 'fast-check';
import {
  INITIAL_SELECTION_STATE,
  weightedRoundRobin,
  type SelectionState,
  type Snapshot,
} from '../../shared/core/routing';
import { backend, snap } from './fixtures';

function picks(snapshot: Snapshot, n: number, state: SelectionState = INITIAL_SELECTION_STATE): { ids: string[]; state: SelectionState } {
  const ids: string[] = [];
  let s = state;
  for (let i = 0; i < n; i++) {
    const sel = weightedRoundRobin(snapshot, {}, s);
    if (sel === undefined) throw new Error('no selection');
    ids.push(sel.backend.id);
    s = sel.state;
  }
  return { ids, state: s };
}

const maxRun = (ids: readonly string[], id: string): number => {
  let run = 0;
  let max = 0;
  for (const x of ids) {
    run = x === id ? run + 1 : 0;
    max = Math.max(max, run);
  }
  return max;
};

describe('smooth weighted round robin', () => {
  it('reproduces nginx: weights a=5 b=1 c=1 give a a b a c a a', () => {
    const s = snap(backend('a', { weight: 5 }), backend('b', { weight: 1 }), backend('c', { weight: 1 }));
    expect(picks(s, 7).ids.join(' ')).toBe('a a b a c a a');
  });

  it('breaks ties by snapshot order', () => {
    const s = snap(backend('x', { weight: 2 }), backend('y', { weight: 2 }));
    expect(picks(s, 4).ids).toEqual(['x', 'y', 'x', 'y']);
  });

  it('is back to all-zero current weights after sum(weights) picks', () => {
    const s = snap(backend('a', { weight: 3 }), backend('b', { weight: 7 }), backend('c', { weight: 1 }));
    const { state } = picks(s, 11);
    expect(Object.values(state.currentWeights).every((v) => v === 0)).toBe(true);
  });

  it('skips drained (weight 0) backends unless all weigh 0', () => {
    const s = snap(backend('a', { weight: 0 }), backend('b', { weight: 3 }));
    expect(new Set(picks(s, 6).ids)).toEqual(new Set(['b']));
    const allZero = snap(backend('a', { weight: 0 }), backend('b', { weight: 0 }));
    expect(picks(allZero, 4).ids).toEqual(['a', 'b', 'a', 'b']);
  });

  it('keeps the current weight of a backend that is temporarily not a candidate and forgets removed ids', () => {
    const s = snap(backend('a', { weight: 1 }), backend('b', { weight: 1 }));
    const first = weightedRoundRobin(s, {}, INITIAL_SELECTION_STATE)!;
    expect(first.state.currentWeights).toEqual({ a: -1, b: 1 });
    const excluded = weightedRoundRobin(s, { exclude: new Set(['b']) }, first.state)!;
    expect(excluded.backend.id).toBe('a');
    expect(excluded.state.currentWeights).toEqual({ a: -1, b: 1 });
    const shrunk = weightedRoundRobin(snap(backend('a')), {}, excluded.state)!;
    expect(Object.keys(shrunk.state.currentWeights)).toEqual(['a']);
  });

  it('is safe with ids that are Object.prototype names', () => {
    const s = snap(backend('__proto__', { weight: 2 }), backend('constructor', { weight: 1 }));
    expect(picks(s, 3).ids).toEqual(['__proto__', 'constructor', '__proto__']);
  });

  const weightsArb = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 7 });

  it('picks each backend exactly weight×k times over k×sum(weights) picks (property)', () => {
    fc.assert(
      fc.property(weightsArb, fc.integer({ min: 1, max: 3 }), (weights, k) => {
        const s = snap(...weights.map((w, i) => backend(`b${i}`, { weight: w })));
        const total = weights.reduce((a, b) => a + b, 0);
        const { ids } = picks(s, k * total);
        weights.forEach((w, i) => expect(ids.filter((x) => x === `b${i}`).length).toBe(w * k));
      }),
    );
  });

  it('interleaves: no backend runs more than ceil(w / smallest other weight) picks in a row (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 2, maxLength: 7 }), (weights) => {
        const s = snap(...weights.map((w, i) => backend(`b${i}`, { weight: w })));
        const total = weights.reduce((a, b) => a + b, 0);
        const { ids } = picks(s, 2 * total); // two cycles: runs across the cycle boundary count too
        weights.forEach((w, i) => {
          const minOther = Math.min(...weights.filter((_, j) => j !== i));
          expect(maxRun(ids, `b${i}`)).toBeLessThanOrEqual(Math.ceil(w / minOther));
        });
      }),
      { numRuns: 60 },
    );
  });
});
