/**
 * Stable hashing for sticky splits. FNV-1a (32-bit) over the UTF-8 bytes of the key, then the murmur3
 * finaliser so that similar keys (`user-1`, `user-2`) spread evenly over the whole 32-bit range.
 * The same key always lands in the same bucket, on every cloud and every version of Node.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32-bit, over the UTF-8 encoding of `key`. Unsigned result. */
export function fnv1a32(key: string): number {
  let h = FNV_OFFSET;
  const byte = (b: number): void => {
    h = Math.imul(h ^ b, FNV_PRIME);
  };
  for (const ch of key) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    if (cp < 0x80) byte(cp);
    else if (cp < 0x800) {
      byte(0xc0 | (cp >> 6));
      byte(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      const c = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp; // lone surrogate → U+FFFD, as TextEncoder does
      byte(0xe0 | (c >> 12));
      byte(0x80 | ((c >> 6) & 0x3f));
      byte(0x80 | (c & 0x3f));
    } else {
      byte(0xf0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3f));
      byte(0x80 | ((cp >> 6) & 0x3f));
      byte(0x80 | (cp & 0x3f));
    }
  }
  return h >>> 0;
}

/** murmur3 fmix32: full avalanche of a 32-bit value. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stable position of `key` in [0, 100) for percentage splits; `salt` separates independent splits. */
export function percentBucket(key: string, salt = ''): number {
  return (fmix32(fnv1a32(`${salt}\u0000${key}`)) / 2 ** 32) * 100;
}
