import fc from 'fast-check';
import { FLAGS_HEADER, enabledFlags, flagsHeaderValue, parseFlagsHeader } from '../../shared/core/routing';
import { MeshgateError } from '../../shared/core/errors';

describe('feature flags header', () => {
  it('lists enabled flags sorted, comma-separated', () => {
    expect(FLAGS_HEADER).toBe('Mcp-Meshgate-Flags');
    expect(flagsHeaderValue({ zeta: true, alpha: true, off: false, all: { percent: 100 } }, 'k')).toBe('all,alpha,zeta');
  });

  it('returns undefined when nothing is on', () => {
    expect(flagsHeaderValue({ a: false, b: { percent: 0 } }, 'k')).toBeUndefined();
  });

  it('partial flags are off without a client key and sticky with one', () => {
    expect(enabledFlags({ beta: { percent: 99.99 } })).toEqual([]);
    const key = 'tenant-42';
    expect(enabledFlags({ beta: { percent: 40 } }, key)).toEqual(enabledFlags({ beta: { percent: 40 } }, key));
  });

  it('raising the percentage never turns a flag off for a client (monotonic rollout)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (key, p, q) => {
        const [lo, hi] = p <= q ? [p, q] : [q, p];
        const atLo = enabledFlags({ f: { percent: lo } }, key).includes('f');
        const atHi = enabledFlags({ f: { percent: hi } }, key).includes('f');
        expect(!atLo || atHi).toBe(true);
      }),
    );
  });

  it('a percentage flag reaches about that share of clients', () => {
    let on = 0;
    for (let i = 0; i < 10_000; i++) if (enabledFlags({ f: { percent: 30 } }, `u${i}`).length > 0) on += 1;
    expect(Math.abs(on / 100 - 30)).toBeLessThanOrEqual(2);
  });

  it('rejects names that could break the header and invalid percentages', () => {
    expect(() => enabledFlags({ 'a,b': true })).toThrow(MeshgateError);
    expect(() => enabledFlags({ 'a\r\nX-Evil: 1': true })).toThrow(MeshgateError);
    expect(() => enabledFlags({ a: { percent: -1 } }, 'k')).toThrow('flags.a.percent');
  });

  it('round-trips through parseFlagsHeader', () => {
    expect(parseFlagsHeader(flagsHeaderValue({ b: true, a: true }))).toEqual(['a', 'b']);
    expect(parseFlagsHeader(' a, ,b ')).toEqual(['a', 'b']);
    expect(parseFlagsHeader(undefined)).toEqual([]);
  });
});
