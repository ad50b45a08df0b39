import fc from 'fast-check';
import { fnv1a32, percentBucket } from '../../shared/core/routing';

describe('stable hash', () => {
  it('matches the FNV-1a 32-bit reference vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 encoding', () => {
    // "é" is C3 A9 in UTF-8; hash the bytes by hand.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    expect(fnv1a32('é')).toBe(h);
    expect(fnv1a32('😀')).toBe(fnv1a32('\u{1F600}'));
  });

  it('puts every key in [0, 100), stably', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (key, salt) => {
        const b = percentBucket(key, salt);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(100);
        expect(percentBucket(key, salt)).toBe(b);
      }),
    );
  });
});
