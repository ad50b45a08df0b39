/**
 * What the REST store adapter tests share: the interop suite an SDK adapter and its fetch-based twin run on one
 * table/collection/container, and a stubbed fetch with the helpers to read the errors it leads to.
 */
import { MeshgateError } from '../../shared/core/errors';
import { v } from '../../shared/ports/__contract__/key-value-store.contract';
import type { KeyValueStore, VersionedRecord } from '../../shared/ports/key-value-store';

// ---------------------------------------------------------------------------------------------------------------
// Interop: an SDK adapter and a REST adapter on the same data
// ---------------------------------------------------------------------------------------------------------------

const records: VersionedRecord[] = [
  { key: 'interop/plain', value: { n: 1, list: [[1], [], { a: null }] }, version: v(1) },
  { key: 'interop/tomb', value: null, version: v(2), deleted: true, expiresAt: 1_750_000_060_000 },
  { key: 'interop/ttl', value: 'beat', version: v(3), expiresAt: 42 },
  // Partition keys (text up to the first "/", or the whole key) that are not ASCII travel JSON-escaped.
  { key: 'Grüße', value: 'umlaut partition', version: v(4) },
  { key: '日本/語', value: 'cjk partition', version: v(5) },
  { key: 'emoji 😀', value: 'astral partition', version: v(6) },
  { key: `quote'"`, value: 'quotes in the partition key', version: v(7) },
];

/**
 * Each adapter reads, lists, compares and deletes what the other wrote, so a deployment can switch adapters
 * without migrating data. `makePair` gives a fresh pair sharing one table/collection/container per test.
 */
export function describeInterop(name: string, makePair: () => Promise<{ sdk: KeyValueStore; rest: KeyValueStore }>): void {
  describe(`${name}: SDK and REST adapters share data`, () => {
    let sdk: KeyValueStore;
    let rest: KeyValueStore;

    beforeEach(async () => {
      ({ sdk, rest } = await makePair());
    });

    it('REST reads and lists exactly what the SDK wrote', async () => {
      for (const record of records) await sdk.put(record);
      for (const record of records) await expect(rest.get(record.key)).resolves.toEqual(record);
      expect(await rest.list('interop/')).toEqual(records.slice(0, 3));
      expect(await rest.list('interop/', { limit: 2 })).toEqual(records.slice(0, 2));
      expect((await rest.list('')).map((r) => r.key)).toEqual((await sdk.list('')).map((r) => r.key));
      expect(await rest.list('日本/')).toEqual([records[4]]);
    });

    it('the SDK reads and lists exactly what REST wrote', async () => {
      for (const record of records) await rest.put(record);
      for (const record of records) await expect(sdk.get(record.key)).resolves.toEqual(record);
      expect(await sdk.list('interop/')).toEqual(records.slice(0, 3));
      expect(await sdk.list('Gr')).toEqual([records[3]]);
    });

    it('conditions hold across adapters: absent, compare-and-set, older and versioned delete', async () => {
      await sdk.put({ key: 'x/k', value: 'sdk', version: v(1) }, { kind: 'absent' });
      await expect(rest.put({ key: 'x/k', value: 'rest', version: v(2) }, { kind: 'absent' })).rejects.toMatchObject({ code: 'conflict' });
      await rest.put({ key: 'x/k', value: 'rest', version: v(2) }, { kind: 'version', version: v(1) });
      await expect(sdk.put({ key: 'x/k', value: 'stale', version: v(3) }, { kind: 'version', version: v(1) })).rejects.toMatchObject({ code: 'conflict' });
      await sdk.put({ key: 'x/k', value: 'sdk again', version: v(3) }, { kind: 'older' });
      await expect(rest.put({ key: 'x/k', value: 'old', version: v(2, 'n9') }, { kind: 'older' })).rejects.toMatchObject({ code: 'conflict' });
      await expect(rest.delete('x/k', v(2))).rejects.toMatchObject({ code: 'conflict' });
      await rest.delete('x/k', v(3));
      await expect(sdk.get('x/k')).resolves.toBeUndefined();
      await expect(sdk.delete('x/k', v(3))).rejects.toMatchObject({ code: 'not_found' });
      await expect(rest.delete('x/k', v(3))).rejects.toMatchObject({ code: 'not_found' });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// A stubbed fetch (no network)
// ---------------------------------------------------------------------------------------------------------------

export interface Seen {
  readonly url: string;
  readonly method: string;
  /** Header names lower-case. */
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch that records each request and answers from `replies` in order (the last one repeats). */
export function stubFetch(...replies: Reply[]): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetchStub = (async (url: string, init: RequestInit = {}) => {
    seen.push({
      url,
      method: init.method ?? 'GET',
      headers: Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, val]) => [k.toLowerCase(), val])),
      body: typeof init.body === 'string' ? init.body : undefined,
    });
    const reply = replies[Math.min(seen.length - 1, replies.length - 1)];
    if (reply === undefined) throw new Error('no reply configured');
    if (reply instanceof Error) throw reply;
    const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(reply.status === 204 ? null : text, { status: reply.status, headers: reply.headers ?? {} });
  }) as unknown as typeof fetch;
  return { fetch: fetchStub, seen };
}

/** What fetch rejects with when the connection is refused. */
export const networkError = (): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });

/** A fetch that only ever settles when its signal aborts (a hung store); `onAbort` hears of the abort. */
export const hangingFetch = (onAbort: () => void = () => undefined): typeof fetch =>
  (async (_url: string, init: RequestInit = {}) =>
    new Promise((_, reject) => {
      init.signal?.addEventListener('abort', () => {
        onAbort();
        reject(init.signal?.reason);
      });
    })) as unknown as typeof fetch;

/** The MeshgateError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function caught(promise: Promise<unknown>): Promise<MeshgateError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(MeshgateError);
    return err as MeshgateError;
  }
  throw new Error('expected a rejection');
}

/** Everything an error exposes as text: message, details and the cause chain. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth += 1) {
    parts.push(String(e), JSON.stringify(e), JSON.stringify((e as { details?: unknown }).details ?? {}));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}
