import { MemoryDnsProvider } from '../../shared/adapters/memory/memory-dns-provider';
import { MeshgateError } from '../../shared/core/errors';
import type { JsonValue } from '../../shared/ports/key-value-store';
import type { Entry, StateStore, WriteOptions } from '../../shared/ports/state-store';
import { LeaderLease } from '../../shared/usecases/lease';

/** A single-node StateStore with compare-and-set and fault injection (the replicated store behaves the same at its API). */
class CasStore implements StateStore {
  private readonly data = new Map<string, Entry>();
  private version = 0;
  down = false;

  async get<T extends JsonValue = JsonValue>(key: string): Promise<Entry<T> | undefined> {
    if (this.down) throw new MeshgateError('unavailable', 'no quorum');
    return this.data.get(key) as Entry<T> | undefined;
  }

  async put<T extends JsonValue = JsonValue>(key: string, value: T, options: WriteOptions = {}): Promise<Entry<T>> {
    if (this.down) throw new MeshgateError('unavailable', 'no quorum');
    const current = this.data.get(key);
    if (options.expectedVersion !== undefined && (current?.version ?? null) !== options.expectedVersion) {
      throw new MeshgateError('conflict', 'version mismatch');
    }
    this.version += 1;
    const entry: Entry<T> = { key, value, version: String(this.version).padStart(8, '0') };
    this.data.set(key, entry);
    return entry;
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async list<T extends JsonValue = JsonValue>(prefix: string): Promise<Entry<T>[]> {
    return [...this.data.values()].filter((e) => e.key.startsWith(prefix)) as Entry<T>[];
  }
}

const T0 = 1_700_000_000_000;

function setup() {
  const store = new CasStore();
  const clocks = { a: T0, b: T0 + 400 }; // b's clock runs 400 ms ahead (within the 1 s bound)
  const a = new LeaderLease({ store, clock: { now: () => clocks.a }, nodeId: 'a' });
  const b = new LeaderLease({ store, clock: { now: () => clocks.b }, nodeId: 'b' });
  const advance = (ms: number) => {
    clocks.a += ms;
    clocks.b += ms;
  };
  return { store, a, b, advance, clocks };
}

describe('LeaderLease', () => {
  it('elects one leader, renews it, and hands over with a higher term once it stops renewing', async () => {
    const { a, b, advance } = setup();
    expect(await a.tick()).toMatchObject({ leader: true, term: 1, actUntil: T0 + 10_000, nextTickAt: T0 + 5_000 });
    expect(await b.tick()).toMatchObject({ leader: false, holder: 'a', term: 1 });

    advance(5_000);
    expect(await a.tick()).toMatchObject({ leader: true, term: 1, actUntil: T0 + 15_000 });

    // a stops ticking (paused). It must stop acting at its bound, before b may take over.
    advance(10_000); // T0 + 15 s on a's clock
    expect(a.isLeader()).toBe(true);
    advance(1);
    expect(a.isLeader()).toBe(false);
    expect(await b.tick()).toMatchObject({ leader: false, holder: 'a' });
    advance(2_000); // a's record expired at T0 + 17 s (a's clock); b is 400 ms ahead
    expect(await b.tick()).toMatchObject({ leader: true, term: 2 });
    expect(await a.tick()).toMatchObject({ leader: false, holder: 'b', term: 2 });
  });

  it('lets exactly one of two racing nodes win a vacant lease', async () => {
    const { store, a, b } = setup();
    const getSpy = jest.spyOn(store, 'get');
    const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
    expect(getSpy).toHaveBeenCalledTimes(2);
    expect([ra.leader, rb.leader].filter(Boolean)).toHaveLength(1);
    const loser = ra.leader ? rb : ra;
    expect(loser).toMatchObject({ leader: false, error: expect.objectContaining({ code: 'conflict' }) });
  });

  it('keeps the previous bound, without extending it, while the store is unavailable', async () => {
    const { store, a, advance } = setup();
    await a.tick();
    store.down = true;
    advance(6_000);
    const during = await a.tick();
    expect(during).toMatchObject({ leader: true, term: 1, actUntil: T0 + 10_000 });
    advance(4_001);
    expect(await a.tick()).toMatchObject({ leader: false, error: expect.objectContaining({ code: 'unavailable' }) });
    expect(a.term()).toBeUndefined();
  });

  it('steps down on release so another node takes over at once with a new term', async () => {
    const { a, b, advance } = setup();
    await a.tick();
    advance(1_000);
    await a.release();
    expect(a.isLeader()).toBe(false);
    expect(await b.tick()).toMatchObject({ leader: true, term: 2 });
  });

  it('fences DNS with the lease term: the deposed leader cannot change records', async () => {
    const { a, b, advance } = setup();
    const dns = new MemoryDnsProvider({ zone: 'example.com' });
    const record = (setId: string, weight: number) => dns.canonicalize([{ fqdn: 'mcp.example.com', type: 'A', setId, weight, ttl: 30, values: ['10.0.0.1'] }]);

    await a.tick();
    const termA = a.term() as number;
    expect((await dns.apply({ create: record('aws', 100), update: [], delete: [] }, { expectedTerm: await dns.currentTerm(), term: termA })).status).toBe('success');

    advance(20_000); // a is paused past its lease
    await b.tick();
    const termB = b.term() as number;
    expect(termB).toBe(termA + 1);
    expect((await dns.apply({ create: record('gcp', 100), update: [], delete: [] }, { expectedTerm: await dns.currentTerm(), term: termB })).status).toBe('success');

    // a wakes up and, without re-checking its lease, tries to apply with the term it remembers.
    const stale = await dns.apply({ create: record('rogue', 1), update: [], delete: [] }, { expectedTerm: termA, term: termA });
    expect(stale.status === 'failure' && stale.error.code).toBe('conflict');
    expect((await dns.records('mcp.example.com')).map((r) => r.setId)).toEqual(['aws', 'gcp']);
  });
});
