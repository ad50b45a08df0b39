/**
 * The one behavioural contract every {@link KeyValueStore} adapter must pass, run unchanged against the memory
 * fake and the real DynamoDB, Cosmos DB and Firestore emulators.
 *
 * `makeSubject` is called before every test and must return an EMPTY store of its own (fresh table, container,
 * collection or memory instance), so tests can list everything they wrote.
 */
import { MeshgateError, type ErrorCode } from '../../core/errors';
import { encodeHlc } from '../../core/hlc';
import type { JsonValue, KeyValueStore, PutCondition, VersionedRecord } from '../key-value-store';

const BASE_MS = 1_750_000_000_000;

/** An encoded HLC; `v(1) < v(2) < ...`, ties broken by node. */
export const v = (n: number, node = 'n1'): string => encodeHlc({ wallMs: BASE_MS + n, counter: 0, node });

const rec = (key: string, value: JsonValue, version: string, extra: Partial<VersionedRecord> = {}): VersionedRecord => ({
  key,
  value,
  version,
  ...extra,
});

/** Code point order (= UTF-8 byte order), written independently of the adapters' helper. */
const byCodePoint = (a: string, b: string): number => {
  const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return x.length - y.length;
};

async function expectCode(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<MeshgateError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error(`expected a MeshgateError with code ${code}, but the call succeeded`);
  expect(caught).toBeInstanceOf(MeshgateError);
  const err = caught as MeshgateError;
  expect({ code: err.code, message: err.message }).toEqual({ code, message: message ? expect.stringMatching(message) : expect.any(String) });
  return err;
}

const keysOf = (records: VersionedRecord[]): string[] => records.map((r) => r.key);

export interface KeyValueStoreContractOptions {
  /** Parallel writers in the race tests (default 8). */
  readonly concurrency?: number;
}

export function describeKeyValueStoreContract(
  name: string,
  makeSubject: () => Promise<KeyValueStore>,
  options: KeyValueStoreContractOptions = {},
): void {
  const writers = options.concurrency ?? 8;

  describe(`KeyValueStore contract: ${name}`, () => {
    let store: KeyValueStore;

    beforeEach(async () => {
      store = await makeSubject();
    });

    describe('get and put', () => {
      it('has a stable, non-empty name', () => {
        expect(typeof store.name).toBe('string');
        expect(store.name.length).toBeGreaterThan(0);
      });

      it('resolves undefined for a key that was never written', async () => {
        await expect(store.get('never/written')).resolves.toBeUndefined();
      });

      it('round-trips nested JSON exactly', async () => {
        const value: JsonValue = {
          text: 'plain',
          int: 42,
          negative: -7,
          float: -12.5e-3,
          maxSafe: Number.MAX_SAFE_INTEGER,
          yes: true,
          nothing: null,
          list: [1, 'two', null, false, { three: [3] }],
          nestedArrays: [[1, 2], [], [[3]]],
          emptyObject: {},
          emptyList: [],
          deep: { a: { b: { c: { d: 'e' } } } },
          'odd keys': { '': 'empty key', '__name__': 'reserved-looking', 'a.b': 'dotted', $ref: '#/x' },
        };
        const record = rec('json/nested', value, v(1));
        await store.put(record);
        await expect(store.get('json/nested')).resolves.toEqual(record);
        for (const scalar of [null, 0, 'just a string', false, [] as JsonValue[]]) {
          await store.put(rec('json/scalar', scalar, v(2)));
          await expect(store.get('json/scalar')).resolves.toEqual(rec('json/scalar', scalar, v(2)));
        }
      });

      it('round-trips unicode in keys and values', async () => {
        const record = rec('unicode/Grüße/日本語/😀', { text: 'naïve café 👋 \u2028 "quoted" \\ back\\slash', emoji: '🧪' }, v(1));
        await store.put(record);
        await expect(store.get(record.key)).resolves.toEqual(record);
      });

      it('keeps keys with characters that document ids forbid apart', async () => {
        const keys = [
          'a/b/c',
          'a/b',
          'q?x=1&y=2',
          'h#fragment',
          'with space',
          ' leading space',
          'back\\slash',
          'percent%2Fencoded',
          'a%2Fb',
          'a_2fb',
          '_h',
          '_hAAAA',
          '.',
          '..',
          '__reserved__',
          '/leading',
          'trailing/',
          'a//b',
          `quote'"`,
          'tilde~star*paren()',
          'UPPER',
          'upper',
        ];
        await Promise.all(keys.map((key, i) => store.put(rec(key, { i }, v(i + 1)))));
        for (const [i, key] of keys.entries()) {
          await expect(store.get(key)).resolves.toEqual(rec(key, { i }, v(i + 1)));
        }
        const listed = await store.list('');
        expect(keysOf(listed)).toEqual([...keys].sort(byCodePoint));
      });

      it('accepts the longest keys: 512 characters, and 1024 UTF-8 bytes', async () => {
        const ascii = `long/${'x'.repeat(507)}`;
        const wide = `w/${'日'.repeat(340)}ab`; // 342 characters, 2 + 1020 + 2 = 1024 bytes
        expect(ascii).toHaveLength(512);
        await store.put(rec(ascii, 1, v(1)));
        await store.put(rec(wide, 2, v(2)));
        await expect(store.get(ascii)).resolves.toEqual(rec(ascii, 1, v(1)));
        await expect(store.get(wide)).resolves.toEqual(rec(wide, 2, v(2)));
        expect(keysOf(await store.list('w/'))).toEqual([wide]);
      });

      it('overwrites without a condition, whatever the versions', async () => {
        await store.put(rec('over/write', 'newer', v(5)));
        await store.put(rec('over/write', 'older', v(1)));
        await expect(store.get('over/write')).resolves.toEqual(rec('over/write', 'older', v(1)));
      });

      it('stores a copy: mutating the caller objects afterwards changes nothing', async () => {
        const value = { list: [1, 2], inner: { n: 1 } };
        const record = { key: 'copy/me', value, version: v(1) };
        await store.put(record);
        value.list.push(3);
        value.inner.n = 99;
        const read = await store.get('copy/me');
        expect(read?.value).toEqual({ list: [1, 2], inner: { n: 1 } });
        (read?.value as { list: number[] }).list.push(4);
        expect((await store.get('copy/me'))?.value).toEqual({ list: [1, 2], inner: { n: 1 } });
      });

      it('keeps tombstones and expiresAt exactly, and never expires anything itself', async () => {
        const tombstone = rec('life/dead', null, v(3), { deleted: true, expiresAt: BASE_MS + 60_000 });
        const expired = rec('life/expired', { beat: 1 }, v(4), { expiresAt: 1 });
        const live = rec('life/live', { beat: 2 }, v(5));
        await store.put(tombstone);
        await store.put(expired);
        await store.put(live);
        await expect(store.get('life/dead')).resolves.toEqual(tombstone);
        await expect(store.get('life/expired')).resolves.toEqual(expired);
        const read = await store.get('life/live');
        expect(read).toEqual(live);
        expect(read?.deleted).toBeFalsy();
        expect(read?.expiresAt).toBeUndefined();
        expect(await store.list('life/')).toEqual([tombstone, expired, live]);
      });

      it('round-trips a large value (300 KB) and rejects one no store can hold (1 MB)', async () => {
        const big = rec('big/value', { blob: 'x'.repeat(300 * 1024) }, v(1));
        await store.put(big);
        await expect(store.get('big/value')).resolves.toEqual(big);
        await expectCode(store.put(rec('big/too', { blob: 'y'.repeat(1024 * 1024) }, v(1))), 'validation', /value/);
        await expect(store.get('big/too')).resolves.toBeUndefined();
      });
    });

    describe("put with condition 'absent'", () => {
      const absent: PutCondition = { kind: 'absent' };

      it('creates a missing key, then refuses a second create with conflict', async () => {
        await store.put(rec('abs/k', 'first', v(1)), absent);
        const err = await expectCode(store.put(rec('abs/k', 'second', v(2)), absent), 'conflict');
        expect(err.retryable).toBe(false);
        await expect(store.get('abs/k')).resolves.toEqual(rec('abs/k', 'first', v(1)));
      });

      it('counts a tombstone as existing', async () => {
        await store.put(rec('abs/t', null, v(1), { deleted: true }));
        await expectCode(store.put(rec('abs/t', 'again', v(2)), absent), 'conflict');
        await expect(store.get('abs/t')).resolves.toEqual(rec('abs/t', null, v(1), { deleted: true }));
      });

      it('creates again after a physical delete', async () => {
        await store.put(rec('abs/d', 1, v(1)), absent);
        await store.delete('abs/d');
        await store.put(rec('abs/d', 2, v(2)), absent);
        await expect(store.get('abs/d')).resolves.toEqual(rec('abs/d', 2, v(2)));
      });
    });

    describe("put with condition 'version' (compare-and-set)", () => {
      it('writes when the stored version matches', async () => {
        await store.put(rec('cas/k', 'a', v(1)));
        await store.put(rec('cas/k', 'b', v(2)), { kind: 'version', version: v(1) });
        await expect(store.get('cas/k')).resolves.toEqual(rec('cas/k', 'b', v(2)));
      });

      it('refuses a stale or a future expected version with conflict and changes nothing', async () => {
        await store.put(rec('cas/k', 'a', v(1)));
        await store.put(rec('cas/k', 'b', v(2)), { kind: 'version', version: v(1) });
        await expectCode(store.put(rec('cas/k', 'c', v(3)), { kind: 'version', version: v(1) }), 'conflict');
        await expectCode(store.put(rec('cas/k', 'c', v(3)), { kind: 'version', version: v(9) }), 'conflict');
        await expect(store.get('cas/k')).resolves.toEqual(rec('cas/k', 'b', v(2)));
      });

      it('refuses with conflict when the key does not exist, and creates nothing', async () => {
        await expectCode(store.put(rec('cas/missing', 'x', v(2)), { kind: 'version', version: v(1) }), 'conflict');
        await expect(store.get('cas/missing')).resolves.toBeUndefined();
      });

      it('matches a tombstone by its version (a delete can be compared and set over)', async () => {
        await store.put(rec('cas/t', null, v(1), { deleted: true }));
        await store.put(rec('cas/t', 'alive', v(2)), { kind: 'version', version: v(1) });
        await expect(store.get('cas/t')).resolves.toEqual(rec('cas/t', 'alive', v(2)));
      });
    });

    describe("put with condition 'older' (last writer wins)", () => {
      const older: PutCondition = { kind: 'older' };

      it('writes a missing key', async () => {
        await store.put(rec('lww/k', 'a', v(1)), older);
        await expect(store.get('lww/k')).resolves.toEqual(rec('lww/k', 'a', v(1)));
      });

      it('accepts a strictly newer version, including a tie broken by node id', async () => {
        await store.put(rec('lww/k', 'a', v(1)), older);
        await store.put(rec('lww/k', 'b', v(2)), older);
        await store.put(rec('lww/k', 'c', v(2, 'n2')), older);
        await expect(store.get('lww/k')).resolves.toEqual(rec('lww/k', 'c', v(2, 'n2')));
      });

      it('refuses an equal or older version with conflict and keeps the newer record', async () => {
        await store.put(rec('lww/k', 'new', v(5)), older);
        await expectCode(store.put(rec('lww/k', 'same', v(5)), older), 'conflict');
        await expectCode(store.put(rec('lww/k', 'old', v(4)), older), 'conflict');
        await expectCode(store.put(rec('lww/k', 'old', v(5, 'n0')), older), 'conflict');
        await expect(store.get('lww/k')).resolves.toEqual(rec('lww/k', 'new', v(5)));
      });

      it('applies to tombstones like any record (replicated deletes)', async () => {
        await store.put(rec('lww/t', 'x', v(1)));
        await store.put(rec('lww/t', null, v(2), { deleted: true }), older);
        await expectCode(store.put(rec('lww/t', 'stale', v(1, 'n9')), older), 'conflict');
        await store.put(rec('lww/t', 'reborn', v(3)), older);
        await expect(store.get('lww/t')).resolves.toEqual(rec('lww/t', 'reborn', v(3)));
      });
    });

    describe('delete', () => {
      it('removes a record physically, tombstones included', async () => {
        await store.put(rec('del/k', 1, v(1)));
        await store.put(rec('del/t', null, v(1), { deleted: true }));
        await store.delete('del/k');
        await store.delete('del/t');
        await expect(store.get('del/k')).resolves.toBeUndefined();
        await expect(store.get('del/t')).resolves.toBeUndefined();
        await expect(store.list('del/')).resolves.toEqual([]);
      });

      it('is a no-op for a missing key without expectedVersion', async () => {
        await expect(store.delete('del/never')).resolves.toBeUndefined();
        await store.put(rec('del/k', 1, v(1)));
        await store.delete('del/k');
        await expect(store.delete('del/k')).resolves.toBeUndefined();
      });

      it('deletes when expectedVersion matches', async () => {
        await store.put(rec('del/k', 1, v(1)));
        await store.delete('del/k', v(1));
        await expect(store.get('del/k')).resolves.toBeUndefined();
      });

      it('refuses a wrong expectedVersion with conflict and keeps the record', async () => {
        await store.put(rec('del/k', 1, v(2)));
        await expectCode(store.delete('del/k', v(1)), 'conflict');
        await expect(store.get('del/k')).resolves.toEqual(rec('del/k', 1, v(2)));
      });

      it('answers not_found for a missing key with expectedVersion', async () => {
        await expectCode(store.delete('del/missing', v(1)), 'not_found');
      });
    });

    describe('list', () => {
      const keys = ['a/b/1', 'ab', 'a/bc', 'b/b', 'a/b', 'A/b', 'a/a', 'a/b/0', 'abc/d', 'a'];

      beforeEach(async () => {
        await Promise.all(keys.map((key, i) => store.put(rec(key, { i }, v(i + 1)))));
      });

      it('returns records under a prefix in ascending key order, with their content', async () => {
        const listed = await store.list('a/b');
        expect(keysOf(listed)).toEqual(['a/b', 'a/b/0', 'a/b/1', 'a/bc']);
        expect(listed[0]).toEqual(rec('a/b', { i: 4 }, v(5)));
      });

      it("does not leak neighbouring prefixes ('a/b/' vs 'a/bc' vs 'ab')", async () => {
        expect(keysOf(await store.list('a/b/'))).toEqual(['a/b/0', 'a/b/1']);
        expect(keysOf(await store.list('ab'))).toEqual(['ab', 'abc/d']);
        expect(keysOf(await store.list('abc/'))).toEqual(['abc/d']);
        expect(keysOf(await store.list('a/'))).toEqual(['a/a', 'a/b', 'a/b/0', 'a/b/1', 'a/bc']);
        expect(keysOf(await store.list('A'))).toEqual(['A/b']);
        expect(await store.list('zzz')).toEqual([]);
        expect(await store.list('a/b/2')).toEqual([]);
      });

      it('lists across partitions for prefixes without a slash, and everything for the empty prefix', async () => {
        expect(keysOf(await store.list('a'))).toEqual(['a', 'a/a', 'a/b', 'a/b/0', 'a/b/1', 'a/bc', 'ab', 'abc/d']);
        expect(keysOf(await store.list(''))).toEqual([...keys].sort(byCodePoint));
      });

      it('honours limit, returning the first keys in order', async () => {
        expect(keysOf(await store.list('a/b', { limit: 2 }))).toEqual(['a/b', 'a/b/0']);
        expect(keysOf(await store.list('a/b', { limit: 1 }))).toEqual(['a/b']);
        expect(keysOf(await store.list('a/b', { limit: 50 }))).toEqual(['a/b', 'a/b/0', 'a/b/1', 'a/bc']);
        expect(keysOf(await store.list('a', { limit: 3 }))).toEqual(['a', 'a/a', 'a/b']);
        expect(keysOf(await store.list('', { limit: 2 }))).toEqual(['A/b', 'a']);
      });

      it('orders by code point (UTF-8 byte order), not by locale', async () => {
        const unicode = ['u/z', 'u/é', 'u/日', 'u/A', 'u/a', 'u/~', 'u/Z', 'u/0'];
        await Promise.all(unicode.map((key, i) => store.put(rec(key, i, v(i + 1)))));
        expect(keysOf(await store.list('u/'))).toEqual(['u/0', 'u/A', 'u/Z', 'u/a', 'u/z', 'u/~', 'u/é', 'u/日']);
      });
    });

    describe('list across pages', () => {
      it('returns every record when the result spans several pages of the backing store', async () => {
        // 3 x 200 KB forces DynamoDB's 1 MB pages; 150 small records exceed typical page item counts.
        const blob = 'z'.repeat(200 * 1024);
        const large = [0, 1, 2, 3, 4, 5].map((i) => rec(`pg/big/${i}`, { blob, i }, v(i + 1)));
        for (const record of large) await store.put(record);
        const small = Array.from({ length: 150 }, (_, i) => rec(`pg/s/${String(i).padStart(3, '0')}`, i, v(i + 1)));
        for (let i = 0; i < small.length; i += 25) await Promise.all(small.slice(i, i + 25).map((r) => store.put(r)));

        expect(await store.list('pg/big/')).toEqual(large);
        expect(keysOf(await store.list('pg/s/'))).toEqual(keysOf(small));
        expect(keysOf(await store.list('pg/s/', { limit: 120 }))).toEqual(keysOf(small).slice(0, 120));
        expect(keysOf(await store.list('pg', { limit: 7 }))).toEqual([...keysOf(large), 'pg/s/000']);
        expect(await store.list('')).toHaveLength(large.length + small.length);
      }, 60_000);
    });

    describe('validation', () => {
      const good = (over: Record<string, unknown> = {}): VersionedRecord => ({ key: 'ok/key', value: 1, version: v(1), ...over }) as VersionedRecord;
      const circular: Record<string, unknown> = { a: 1 };
      circular.self = circular;
      const sparse = [1, , 3] as unknown as JsonValue;

      const badKeys: Array<[string, unknown, RegExp]> = [
        ['empty', '', /key must not be empty/],
        ['too long', 'k'.repeat(513), /key .*513 characters.*512/],
        ['too many bytes', '日'.repeat(342), /key .*bytes.*1024/],
        ['newline', 'a\nb', /key .*control character.*U\+000A/],
        ['NUL', 'a\u0000b', /key .*control character.*U\+0000/],
        ['DEL', 'a\u007fb', /key .*control character/],
        ['C1 control', 'a\u0085b', /key .*control character/],
        ['unpaired surrogate', 'a\ud800b', /key .*(surrogate|Unicode)/],
        ['not a string', 42, /key must be a string/],
      ];

      it.each(badKeys)('rejects a key that is %s, naming the problem, and writes nothing', async (_label, key, message) => {
        await expectCode(store.put(good({ key })), 'validation', message);
        await expectCode(store.get(key as string), 'validation', message);
        await expectCode(store.delete(key as string), 'validation', message);
        await expect(store.list('')).resolves.toEqual([]);
      });

      const badRecords: Array<[string, Record<string, unknown>, RegExp]> = [
        ['an empty version', { version: '' }, /version must not be empty/],
        ['a version with a space', { version: 'v 1' }, /version .*printable ASCII/],
        ['a non-ASCII version', { version: 'vé1' }, /version .*printable ASCII/],
        ['a 129-character version', { version: 'v'.repeat(129) }, /version .*128/],
        ['a version that is not a string', { version: 7 }, /version must be a string/],
        ['no value', { value: undefined }, /value is missing/],
        ['NaN', { value: { n: NaN } }, /value\.n is NaN/],
        ['Infinity', { value: [Infinity] }, /value\[0\] is Infinity/],
        ['a Date', { value: { at: new Date(0) } }, /value\.at is a Date/],
        ['a function', { value: { f: () => 1 } }, /value\.f is a function/],
        ['a bigint', { value: { n: BigInt(1) } }, /value\.n is a bigint/],
        ['a circular value', { value: circular }, /circular/],
        ['a sparse array', { value: sparse }, /sparse/],
        ['a tombstone with a value', { deleted: true, value: 'x' }, /null for a tombstone/],
        ['a non-boolean deleted', { deleted: 'yes' }, /deleted must be a boolean/],
        ['a negative expiresAt', { expiresAt: -1 }, /expiresAt must be a non-negative integer/],
        ['a fractional expiresAt', { expiresAt: 1.5 }, /expiresAt must be a non-negative integer/],
        ['a string expiresAt', { expiresAt: '2030' }, /expiresAt must be a non-negative integer/],
      ];

      it.each(badRecords)('rejects a record with %s, naming the field, and writes nothing', async (_label, over, message) => {
        await expectCode(store.put(good(over)), 'validation', message);
        await expect(store.list('')).resolves.toEqual([]);
      });

      it('rejects malformed conditions, expected versions and list options', async () => {
        await expectCode(store.put(good(), { kind: 'newest' } as unknown as PutCondition), 'validation', /condition\.kind/);
        await expectCode(store.put(good(), { kind: 'version' } as unknown as PutCondition), 'validation', /condition\.version/);
        await expectCode(store.put(good(), { kind: 'version', version: '' }), 'validation', /condition\.version/);
        await expectCode(store.delete('ok/key', ''), 'validation', /expectedVersion/);
        await expectCode(store.list('a\tb'), 'validation', /prefix .*control character/);
        await expectCode(store.list('p'.repeat(513)), 'validation', /prefix/);
        for (const limit of [0, -1, 1.5, NaN]) {
          await expectCode(store.list('', { limit }), 'validation', /limit must be a positive integer/);
        }
        await expect(store.list('')).resolves.toEqual([]);
      });
    });

    describe('concurrency', () => {
      it(`lets exactly one of ${writers} parallel compare-and-set writers win`, async () => {
        await store.put(rec('race/cas', 'start', v(1)));
        const results = await Promise.allSettled(
          Array.from({ length: writers }, (_, i) => store.put(rec('race/cas', `writer-${i}`, v(2, `w${i}`)), { kind: 'version', version: v(1) })),
        );
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(winners).toHaveLength(1);
        for (const err of losers) expect(err).toMatchObject({ code: 'conflict' });
        await expect(store.get('race/cas')).resolves.toEqual(rec('race/cas', `writer-${winners[0]}`, v(2, `w${winners[0]}`)));
      });

      it(`lets exactly one of ${writers} parallel creators win`, async () => {
        const results = await Promise.allSettled(
          Array.from({ length: writers }, (_, i) => store.put(rec('race/abs', i, v(1, `w${i}`)), { kind: 'absent' })),
        );
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'conflict' });
        await expect(store.get('race/abs')).resolves.toEqual(rec('race/abs', winners[0] ?? -1, v(1, `w${winners[0]}`)));
      });

      it.each(['missing', 'existing'])(`converges on the newest of ${writers} parallel 'older' writers to a %s key`, async (start) => {
        const key = `race/lww-${start}`;
        if (start === 'existing') await store.put(rec(key, 'start', v(1)));
        // Interleaved so the newest writer does not start first: 0, n-1, 1, n-2, ...
        const order = Array.from({ length: writers }, (_, i) => (i % 2 === 0 ? i / 2 : writers - 1 - (i - 1) / 2));
        const results = await Promise.allSettled(order.map((n) => store.put(rec(key, n, v(10 + n)), { kind: 'older' })));
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'conflict' });
        const newest = order.indexOf(writers - 1);
        expect(results[newest]?.status).toBe('fulfilled');
        await expect(store.get(key)).resolves.toEqual(rec(key, writers - 1, v(10 + writers - 1)));
      });

      it(`lets exactly one of ${writers} parallel versioned deletes win`, async () => {
        await store.put(rec('race/del', 1, v(1)));
        const results = await Promise.allSettled(Array.from({ length: writers }, () => store.delete('race/del', v(1))));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(['conflict', 'not_found']).toContain((r.reason as MeshgateError).code);
        await expect(store.get('race/del')).resolves.toBeUndefined();
      });
    });
  });
}
