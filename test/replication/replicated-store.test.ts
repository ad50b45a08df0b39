import { MeshgateError } from '../../shared/core/errors';
import { decodeHlc, encodeHlc } from '../../shared/core/hlc';
import type { VersionedRecord } from '../../shared/ports/key-value-store';
import type { CausalSession } from '../../shared/ports/state-store';
import { ReplicatedStore } from '../../shared/usecases/replicated-store';
import { ManualClock } from '../support/manual-clock';
import { MapKeyValueStore } from '../support/map-key-value-store';
import { makeCluster, type Cluster } from '../support/replication-cluster';

/** Runs `fn` and returns the MeshgateError it rejects with (fails the test if it resolves). */
async function failure(fn: () => Promise<unknown>): Promise<MeshgateError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MeshgateError);
    return err as MeshgateError;
  }
  throw new Error('expected a rejection');
}

const versionAt = (wallMs: number, node = 'seed', counter = 0): string => encodeHlc({ wallMs, counter, node });

let cluster: Cluster;
afterEach(async () => {
  await cluster?.close();
});

describe('construction', () => {
  const stores = (n: number): MapKeyValueStore[] => Array.from({ length: n }, (_, i) => new MapKeyValueStore(`s${i}`));
  const clock = new ManualClock();

  it.each([
    [{ writeQuorum: 1, readQuorum: 3 }, 'writeQuorum (1) must be a majority of the 3 stores'],
    [{ writeQuorum: 2, readQuorum: 1 }, 'readQuorum (1) + writeQuorum (2) must exceed the number of stores (3)'],
    [{ writeQuorum: 4 }, 'writeQuorum must be an integer from 1 to 3'],
    [{ readQuorum: 0 }, 'readQuorum must be an integer from 1 to 3'],
    [{ writeQuorum: 1.5 }, 'writeQuorum must be an integer from 1 to 3'],
  ])('rejects quorum sizes %j for strong key spaces', (quorum, message) => {
    expect(() => new ReplicatedStore({ stores: stores(3), clock, nodeId: 'n1', ...quorum })).toThrow(message);
  });

  it('accepts small quorums when no key space is strong', () => {
    expect(() => new ReplicatedStore({ stores: stores(3), clock, nodeId: 'n1', writeQuorum: 1, readQuorum: 1, defaultConsistency: 'eventual' })).not.toThrow();
  });

  it('rejects no stores, duplicate names, bad node ids, consistencies and timeouts', () => {
    expect(() => new ReplicatedStore({ stores: [], clock, nodeId: 'n1' })).toThrow('at least one store');
    expect(() => new ReplicatedStore({ stores: [new MapKeyValueStore('a'), new MapKeyValueStore('a')], clock, nodeId: 'n1' })).toThrow('"a" appears twice');
    expect(() => new ReplicatedStore({ stores: stores(3), clock, nodeId: 'bad node' })).toThrow('invalid node id');
    expect(() => new ReplicatedStore({ stores: stores(3), clock, nodeId: 'n1', consistency: { 'x/': 'linearizable' as never } })).toThrow(
      'consistency["x/"]: consistency must be one of strong, eventual, causal',
    );
    expect(() => new ReplicatedStore({ stores: stores(3), clock, nodeId: 'n1', callTimeoutMs: 0 })).toThrow('callTimeoutMs must be a positive number');
  });

  it('picks the longest matching prefix', () => {
    const store = new ReplicatedStore({ stores: stores(3), clock, nodeId: 'n1', consistency: { 'hb/': 'eventual', 'hb/lease/': 'strong', 's/': 'causal' } });
    expect(store.consistencyOf('hb/x')).toBe('eventual');
    expect(store.consistencyOf('hb/lease/x')).toBe('strong');
    expect(store.consistencyOf('s/1')).toBe('causal');
    expect(store.consistencyOf('other')).toBe('strong');
  });
});

describe('strong key spaces', () => {
  beforeEach(() => {
    cluster = makeCluster();
  });

  it('writes to every store and reads the newest version back', async () => {
    const written = await cluster.store.put('lease/scheduler', { holder: 'aws', term: 1 });
    expect(decodeHlc(written.version).node).toBe('node-a');
    await cluster.store.settle();
    for (const map of cluster.maps) expect(map.peek('lease/scheduler')).toEqual({ key: 'lease/scheduler', value: { holder: 'aws', term: 1 }, version: written.version });
    await expect(cluster.store.get('lease/scheduler')).resolves.toEqual(written);
    expect(cluster.store.stats()).toMatchObject({ writes: 1, conflicts: 0, replicaFailures: { dynamodb: 0, cosmos: 0, firestore: 0 } });
  });

  it('succeeds with one store down and names the failures when two are down', async () => {
    cluster.replicas[2]?.setMode('down');
    const first = await cluster.store.put('lease/scheduler', 'one');
    await expect(cluster.store.get('lease/scheduler')).resolves.toMatchObject({ value: 'one', version: first.version });

    cluster.replicas[1]?.setMode('down');
    const err = await failure(() => cluster.store.put('lease/scheduler', 'two'));
    expect(err.code).toBe('unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toBe('write of "lease/scheduler" reached 1 of 3 stores (need 2): cosmos unavailable, firestore unavailable');
    const read = await failure(() => cluster.store.get('lease/scheduler'));
    expect(read.message).toBe('read of "lease/scheduler" reached 1 of 3 stores (need 2): cosmos unavailable, firestore unavailable');
    expect(cluster.store.stats().replicaFailures).toMatchObject({ dynamodb: 0 });
    expect(cluster.store.stats().replicaFailures.cosmos).toBeGreaterThan(0);

    // Nothing of the failed write is visible once the stores return.
    cluster.replicas[1]?.setMode('ok');
    cluster.replicas[2]?.setMode('ok');
    await expect(cluster.store.get('lease/scheduler')).resolves.toMatchObject({ value: 'one', version: first.version });
    await cluster.store.settle();
    expect(cluster.maps[0]?.peek('lease/scheduler')?.value).toBe('one');
  });

  it('rolls back a replica that took a write which then failed on two stores (nothing half-visible)', async () => {
    const before = await cluster.store.put('cfg/mode', 'old', { ttlMs: 60_000 });
    await cluster.store.settle();
    const snapshot = cluster.maps[0]?.peek('cfg/mode');
    cluster.replicas[1]?.setMode('writes-down');
    cluster.replicas[2]?.setMode('writes-down');

    const err = await failure(() => cluster.store.put('cfg/mode', 'new'));
    expect(err.code).toBe('unavailable');
    expect(err.message).toBe('write of "cfg/mode" reached 1 of 3 stores (need 2): cosmos unavailable, firestore unavailable');
    // dynamodb took the write and has already been restored, expiresAt included.
    expect(cluster.maps[0]?.peek('cfg/mode')).toEqual(snapshot);
    expect(cluster.store.stats()).toMatchObject({ compensations: 1, failedWrites: 1 });

    cluster.replicas[1]?.setMode('ok');
    cluster.replicas[2]?.setMode('ok');
    await expect(cluster.store.get('cfg/mode')).resolves.toMatchObject({ value: 'old', version: before.version });
    await expect(cluster.store.list('cfg/')).resolves.toEqual([expect.objectContaining({ value: 'old' })]);
  });

  it('undoes writes whose acknowledgement was lost, and deletes a created key again', async () => {
    cluster.replicas[0]?.failNextWrites(1, 'ack-lost');
    cluster.replicas[1]?.failNextWrites(1, 'ack-lost');
    cluster.replicas[2]?.setMode('writes-down');
    const err = await failure(() => cluster.store.put('jobs/1', 'x'));
    expect(err.message).toBe('write of "jobs/1" reached 0 of 3 stores (need 2): dynamodb unavailable, cosmos unavailable, firestore unavailable');
    // Two stores applied it without saying so; both were undone (the key did not exist: deleted again).
    for (const map of cluster.maps) expect(map.peek('jobs/1')).toBeUndefined();
    cluster.replicas[2]?.setMode('ok');
    await expect(cluster.store.get('jobs/1')).resolves.toBeUndefined();
  });

  it('undoes a write that lands after its call timed out', async () => {
    const before = await cluster.store.put('k', 'old');
    await cluster.store.settle();
    cluster.replicas[1]?.setMode('writes-down');
    cluster.replicas[2]?.setMode('writes-down');
    cluster.replicas[0]?.failNextWrites(1, 'hang');
    const err = await failure(() => cluster.store.put('k', 'new'));
    expect(err.message).toContain('dynamodb timed out after 250 ms');
    cluster.replicas[0]?.setMode('ok'); // the hung write now lands...
    await cluster.store.settle(); // ...and is undone
    expect(cluster.maps[0]?.peek('k')?.version).toBe(before.version);
  });

  it('reads a quorum, repairs the stale store in the background and counts the repair', async () => {
    cluster.replicas[2]?.setMode('down');
    const written = await cluster.store.put('svc/a', 1);
    await cluster.store.settle(); // the hand-off to firestore gives up (it stays down)
    expect(cluster.maps[2]?.peek('svc/a')).toBeUndefined();
    expect(cluster.store.stats().handoffsDropped).toBe(1);

    cluster.replicas[2]?.setMode('ok');
    await expect(cluster.store.get('svc/a')).resolves.toMatchObject({ version: written.version });
    await cluster.store.settle();
    expect(cluster.maps[2]?.peek('svc/a')?.version).toBe(written.version);
    expect(cluster.store.stats().repairs).toBe(1);
  });

  it('delivers an acknowledged write to a store that was down for it (hinted hand-off)', async () => {
    cluster.replicas[2]?.failNextWrites(1, 'writes-down');
    const written = await cluster.store.put('svc/b', 2);
    await cluster.store.settle();
    expect(cluster.maps[2]?.peek('svc/b')?.version).toBe(written.version);
    expect(cluster.store.stats().handoffs).toBe(1);
  });

  it('never returns or spreads a version that fewer than W stores hold when every store answers', async () => {
    const committed = await cluster.store.put('k', 'committed');
    await cluster.store.settle();
    const remnant: VersionedRecord = { key: 'k', value: 'remnant', version: versionAt(Date.now() + 60_000, 'ghost') };
    await cluster.maps[0]?.put(remnant);

    await expect(cluster.store.get('k')).resolves.toMatchObject({ value: 'committed', version: committed.version });
    await cluster.store.settle();
    expect(cluster.maps[1]?.peek('k')?.version).toBe(committed.version);
    expect(cluster.maps[2]?.peek('k')?.version).toBe(committed.version);

    // With a store down, the read cannot rule the remnant out: it returns the newest version but copies nothing.
    cluster.replicas[2]?.setMode('down');
    await expect(cluster.store.get('k')).resolves.toMatchObject({ value: 'remnant' });
    await cluster.store.settle();
    expect(cluster.maps[1]?.peek('k')?.version).toBe(committed.version);
  });

  it('waits at most the call timeout for a hung store when the others disagree', async () => {
    const old = await cluster.store.put('k', 'v1');
    await cluster.store.settle();
    await cluster.maps[0]?.put({ key: 'k', value: 'in-flight', version: versionAt(Date.now() + 1_000) });
    cluster.replicas[2]?.setMode('hang');
    const started = Date.now();
    const entry = await cluster.store.get('k');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(2_000);
    expect(entry?.value).toBe('in-flight'); // newest seen; the hung store might hold it too
    expect(old.version < (entry?.version ?? '')).toBe(true);
    expect(cluster.store.stats().replicaFailures.firestore).toBe(1);
  });

  it('does not wait for a hung store when two stores are enough', async () => {
    cluster.replicas[1]?.setMode('hang');
    const started = Date.now();
    await cluster.store.put('k', 'v');
    await expect(cluster.store.get('k')).resolves.toMatchObject({ value: 'v' });
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('orders its next write after any version it has read (HLC receive)', async () => {
    const future = versionAt(Date.now() + 3_600_000, 'other-node', 7);
    for (const map of cluster.maps) await map.put({ key: 'k', value: 'from the future', version: future });
    await cluster.store.get('k');
    const next = await cluster.store.put('k2', 'after');
    expect(next.version > future).toBe(true);
    const overwrite = await cluster.store.put('k', 'mine');
    expect(overwrite.version > future).toBe(true);
  });

  it('deletes by tombstone and hides it from get and list', async () => {
    const a = await cluster.store.put('d/a', 1);
    await cluster.store.put('d/b', 2);
    await cluster.store.delete('d/a');
    await cluster.store.settle();
    const tombstone = cluster.maps[0]?.peek('d/a');
    expect(tombstone).toMatchObject({ deleted: true, value: null });
    expect((tombstone?.version ?? '') > a.version).toBe(true);
    await expect(cluster.store.get('d/a')).resolves.toBeUndefined();
    await expect(cluster.store.list('d/')).resolves.toEqual([expect.objectContaining({ key: 'd/b', value: 2 })]);
    await expect(cluster.store.delete('d/missing')).resolves.toBeUndefined();
  });
});

describe('compare-and-set', () => {
  beforeEach(() => {
    cluster = makeCluster();
  });

  it('creates with null, rejects a second create, swaps on the right version only', async () => {
    const created = await cluster.store.put('lease/l', { holder: 'a' }, { expectedVersion: null });
    const again = await failure(() => cluster.store.put('lease/l', { holder: 'b' }, { expectedVersion: null }));
    expect(again.code).toBe('conflict');
    expect(again.message).toContain('create of "lease/l" failed');
    const swapped = await cluster.store.put('lease/l', { holder: 'b' }, { expectedVersion: created.version });
    const stale = await failure(() => cluster.store.put('lease/l', { holder: 'c' }, { expectedVersion: created.version }));
    expect(stale.code).toBe('conflict');
    expect(stale.message).toContain(`expected version ${created.version}`);
    await expect(cluster.store.get('lease/l')).resolves.toMatchObject({ value: { holder: 'b' }, version: swapped.version });
    await expect(failure(() => cluster.store.put('nope', 1, { expectedVersion: versionAt(1) }))).resolves.toMatchObject({ code: 'conflict' });
    expect(cluster.store.stats().conflicts).toBe(3);
  });

  it('treats tombstoned and expired keys as absent for create', async () => {
    const clock = new ManualClock();
    cluster = makeCluster({ clock });
    const first = await cluster.store.put('lease/x', 'a', { ttlMs: 1_000 });
    await clock.advance(1_000);
    await expect(cluster.store.get('lease/x')).resolves.toBeUndefined();
    const second = await cluster.store.put('lease/x', 'b', { expectedVersion: null });
    expect(second.version > first.version).toBe(true);
    await cluster.store.delete('lease/x', { expectedVersion: second.version });
    await expect(cluster.store.put('lease/x', 'c', { expectedVersion: null })).resolves.toMatchObject({ value: 'c' });
  });

  it('lets exactly one of many concurrent writers with the same expected version win', async () => {
    const base = await cluster.store.put('lease/race', { term: 0 });
    await cluster.store.settle();
    const nodes = Array.from({ length: 6 }, (_, i) => cluster.node(`writer-${i}`));
    const results = await Promise.allSettled(nodes.map((node, i) => node.put('lease/race', { term: 1, holder: i }, { expectedVersion: base.version })));
    const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as MeshgateError] : []));
    expect(winners).toHaveLength(1);
    expect(losers.map((e) => e.code)).toEqual(Array(5).fill('conflict'));
    await Promise.all(nodes.map((n) => n.settle()));
    for (const map of cluster.maps) expect(map.peek('lease/race')?.version).toBe(winners[0]?.version);
    const conflicts = nodes.reduce((sum, n) => sum + n.stats().conflicts, 0);
    expect(conflicts).toBeGreaterThanOrEqual(5);
  });

  it('never lets two writers win when replicas see them in different orders', async () => {
    for (let round = 0; round < 40; round += 1) {
      const base = await cluster.store.put(`race/${round}`, 0);
      await cluster.store.settle();
      for (const replica of cluster.replicas) replica.delay = () => Math.floor(Math.random() * 4);
      const nodes = [cluster.node(`w${round}a`), cluster.node(`w${round}b`), cluster.node(`w${round}c`)];
      const results = await Promise.allSettled(nodes.map((node, i) => node.put(`race/${round}`, i + 1, { expectedVersion: base.version })));
      for (const replica of cluster.replicas) replica.delay = () => 0;
      await Promise.all(nodes.map((n) => n.settle()));
      const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(winners.length).toBeLessThanOrEqual(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as MeshgateError).code).toBe('conflict');
      const visible = await cluster.store.get(`race/${round}`);
      // The winner's value, or (a three-way split: nobody won) the base, never a loser's.
      expect(visible?.version).toBe(winners[0]?.version ?? base.version);
    }
  });

  it('reports and counts a conflict when a concurrent newer write lands between its read and its write', async () => {
    await cluster.store.put('k', 'base');
    await cluster.store.settle();
    const newer = versionAt(Date.now() + 10_000, 'zzz');
    for (const map of cluster.maps) {
      const read = map.get.bind(map);
      let armed = true;
      map.get = async (key: string) => {
        const record = await read(key);
        if (armed) {
          armed = false; // another writer's newer version lands right after our read
          await map.put({ key, value: 'newer', version: newer });
        }
        return record;
      };
    }
    const err = await failure(() => cluster.store.put('k', 'mine'));
    expect(err.code).toBe('conflict');
    // Once two stores refused, the third is not even tried: the write could no longer reach two stores.
    expect(err.message).toMatch(/^write of "k" lost to a concurrent write: dynamodb and cosmos hold a newer version/);
    expect(err.message).toContain(newer);
    expect(cluster.store.stats()).toMatchObject({ conflicts: 1, compensations: 0 });
    await expect(cluster.store.get('k')).resolves.toMatchObject({ value: 'newer' });
  });
});

describe('eventual key spaces', () => {
  beforeEach(() => {
    cluster = makeCluster({ consistency: { 'hb/': 'eventual' } });
  });

  it('acknowledges at the first store and fans out once the others return', async () => {
    cluster.replicas[1]?.setMode('down');
    cluster.replicas[2]?.setMode('down');
    const written = await cluster.store.put('hb/aws', { at: 1 });
    expect(cluster.maps[0]?.peek('hb/aws')?.version).toBe(written.version);
    expect(cluster.maps[1]?.peek('hb/aws')).toBeUndefined();
    setTimeout(() => {
      cluster.replicas[1]?.setMode('ok');
      cluster.replicas[2]?.setMode('ok');
    }, 30);
    await cluster.store.settle();
    for (const map of cluster.maps) expect(map.peek('hb/aws')?.version).toBe(written.version);
    expect(cluster.store.stats().handoffs).toBe(2);
  });

  it('retries with exponential backoff on the injected clock', async () => {
    const clock = new ManualClock();
    cluster = makeCluster({ consistency: { 'hb/': 'eventual' }, clock, random: () => 0.5, retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 10_000 } });
    cluster.replicas[2]?.setMode('down');
    await cluster.store.put('hb/x', 1);
    const putsTo = (): number => cluster.replicas[2]?.calls.filter((c) => c.op === 'put').length ?? 0;
    await clock.advance(0);
    expect(putsTo()).toBe(1);
    await clock.advance(74); // first retry at 75 ms (base 100, equal jitter at 0.5)
    expect(putsTo()).toBe(1);
    await clock.advance(1);
    expect(putsTo()).toBe(2);
    await clock.advance(150); // second retry 150 ms later
    expect(putsTo()).toBe(3);
    cluster.replicas[2]?.setMode('ok');
    await clock.advance(300);
    expect(putsTo()).toBe(4);
    await cluster.store.settle();
    expect(cluster.maps[2]?.peek('hb/x')?.value).toBe(1);
  });

  it('gives up after the retry budget and leaves the store to read repair', async () => {
    cluster.replicas[2]?.setMode('down');
    await cluster.store.put('hb/y', 1);
    await cluster.store.settle();
    expect(cluster.store.stats().handoffsDropped).toBe(1);
    cluster.replicas[2]?.setMode('ok');
    await cluster.store.list('hb/');
    await cluster.store.settle();
    expect(cluster.maps[2]?.peek('hb/y')?.value).toBe(1);
  });

  it('fails only when no store takes the write', async () => {
    for (const replica of cluster.replicas) replica.setMode('down');
    const err = await failure(() => cluster.store.put('hb/z', 1));
    expect(err.message).toBe('write of "hb/z" reached 0 of 3 stores (need 1): dynamodb unavailable, cosmos unavailable, firestore unavailable');
  });

  it('reads the first answer and repairs the others with the newest version', async () => {
    await cluster.maps[1]?.put({ key: 'hb/a', value: 'new', version: versionAt(Date.now() + 5_000) });
    await cluster.maps[2]?.put({ key: 'hb/a', value: 'old', version: versionAt(Date.now() - 5_000) });
    cluster.replicas[0]?.setMode('down');
    cluster.replicas[2]!.delay = () => 20;
    await expect(cluster.store.get('hb/a')).resolves.toMatchObject({ value: 'new' });
    cluster.replicas[0]?.setMode('ok');
    await cluster.store.settle();
    expect(cluster.maps[2]?.peek('hb/a')?.value).toBe('new');
    expect(cluster.store.stats().repairs).toBe(1);
  });

  it('resolves concurrent writers by HLC (ties by node id) and counts the loser\'s conflict', async () => {
    const a = cluster.node('node-x');
    const b = cluster.node('node-y');
    // node-x writes first (older version) but its puts are slower: node-y's newer write lands first everywhere.
    for (const replica of cluster.replicas) {
      const delays = [20, 0];
      replica.delay = () => delays.shift() ?? 0;
    }
    const [wa, wb] = await Promise.all([a.put('hb/shared', 'x'), b.put('hb/shared', 'y')]);
    expect(wb.version > wa.version).toBe(true);
    await Promise.all([a.settle(), b.settle()]);
    const winner = wa.version > wb.version ? wa : wb;
    for (const map of cluster.maps) expect(map.peek('hb/shared')?.version).toBe(winner.version);
    expect(a.stats().conflicts).toBe(1);
    expect(b.stats().conflicts).toBe(0);
    await expect(cluster.store.get('hb/shared')).resolves.toMatchObject({ value: winner.value });
  });

  it('takes the strong path for compare-and-set even in an eventual key space', async () => {
    cluster.replicas[1]?.setMode('down');
    cluster.replicas[2]?.setMode('down');
    const err = await failure(() => cluster.store.put('hb/cas', 1, { expectedVersion: null }));
    expect(err.code).toBe('unavailable');
  });
});

describe('causal key spaces', () => {
  beforeEach(() => {
    cluster = makeCluster({ consistency: { 's/': 'causal' } });
  });

  it('never reads older than the session saw, across nodes, and fails retryably instead', async () => {
    const session: CausalSession = { token: '' };
    const writer = cluster.node('writer', { retry: { attempts: 0 } }); // no fan-out retries: the write stays on one store
    await writer.put('s/cart', ['old']);
    await writer.settle();
    cluster.replicas[1]?.setMode('down');
    cluster.replicas[2]?.setMode('down');
    const written = await writer.put('s/cart', ['old', 'new'], { session });
    await writer.settle();
    expect(session.token).not.toBe('');

    // Only dynamodb has it; now dynamodb goes away and the stale stores come back.
    cluster.replicas[0]?.setMode('down');
    cluster.replicas[1]?.setMode('ok');
    cluster.replicas[2]?.setMode('ok');
    const elsewhere = cluster.node('node-b', { retry: { attempts: 0 } });
    const err = await failure(() => elsewhere.get('s/cart', { session: { token: session.token } }));
    expect(err.code).toBe('unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('causal read of "s/cart": no store has caught up with the session');
    await expect(failure(() => elsewhere.list('s/', { session: { token: session.token } }))).resolves.toMatchObject({ code: 'unavailable' });
    // Without the session the stale value is fair game.
    await expect(elsewhere.get('s/cart')).resolves.toMatchObject({ value: ['old'] });

    cluster.replicas[0]?.setMode('ok');
    const fresh = await elsewhere.get('s/cart', { session: { token: session.token } });
    expect(fresh).toMatchObject({ value: ['old', 'new'], version: written.version });
    await expect(elsewhere.list('s/', { session: { token: session.token } })).resolves.toEqual([expect.objectContaining({ version: written.version })]);
  });

  it('asks the other stores when the first answer is older than the session', async () => {
    const session: CausalSession = { token: '' };
    const written = await cluster.store.put('s/k', 2, { session });
    await cluster.store.settle();
    await cluster.maps[0]?.put({ key: 's/k', value: 1, version: versionAt(1) }, { kind: 'version', version: written.version });
    await expect(cluster.store.get('s/k', { session })).resolves.toMatchObject({ value: 2 });
  });

  it('reads keys the session never touched and orders later writes after the session horizon', async () => {
    const session: CausalSession = { token: '' };
    await cluster.store.put('s/a', 1, { session });
    await cluster.store.put('s/b', 2, { session });
    await expect(cluster.store.get('s/a', { session })).resolves.toMatchObject({ value: 1 });
    await expect(cluster.store.get('s/untouched', { session })).resolves.toBeUndefined();

    const future = versionAt(Date.now() + 3_600_000, 'far');
    const ahead = cluster.node('ahead');
    for (const map of cluster.maps) await map.put({ key: 's/f', value: 'f', version: future });
    const remote: CausalSession = { token: '' };
    await ahead.get('s/f', { session: remote });
    const after = await cluster.store.put('s/c', 3, { session: remote });
    expect(after.version > future).toBe(true);
  });

  it('rejects malformed tokens before touching a store', async () => {
    for (const token of ['nope', 'cs1.!!!', 'cs1.' + Buffer.from('[1,2]').toString('base64url'), 42 as unknown as string]) {
      const err = await failure(() => cluster.store.get('s/x', { session: { token } }));
      expect(err.code).toBe('validation');
      expect(err.message).toMatch(/^invalid causal session token/);
    }
    expect(cluster.replicas.every((r) => r.calls.length === 0)).toBe(true);
  });
});

describe('TTL and list', () => {
  it('hides expired entries from get and list (reader-side TTL)', async () => {
    const clock = new ManualClock();
    cluster = makeCluster({ clock });
    const entry = await cluster.store.put('hb/aws', 'alive', { ttlMs: 15_000 });
    expect(entry.expiresAt).toBe(clock.now() + 15_000);
    await cluster.store.put('hb/gcp', 'alive');
    await clock.advance(14_999);
    await expect(cluster.store.get('hb/aws')).resolves.toMatchObject({ value: 'alive' });
    await clock.advance(1);
    await expect(cluster.store.get('hb/aws')).resolves.toBeUndefined();
    await expect(cluster.store.list('hb/')).resolves.toEqual([expect.objectContaining({ key: 'hb/gcp' })]);
    await cluster.store.settle();
    expect(cluster.maps[0]?.peek('hb/aws')).toMatchObject({ value: 'alive', expiresAt: entry.expiresAt });
  });

  it('merges lists by key, newest version wins, limit after merging, stale keys repaired', async () => {
    cluster = makeCluster();
    await cluster.store.put('p/a', 1);
    await cluster.store.put('p/b', 2);
    await cluster.store.put('p/c', 3);
    await cluster.store.delete('p/a');
    await cluster.store.settle();
    cluster.replicas[2]?.setMode('down');
    const b2 = await cluster.store.put('p/b', 22);
    await cluster.store.put('p/d', 4);
    await cluster.store.settle();
    cluster.replicas[2]?.setMode('ok');

    const listed = await cluster.store.list('p/', { limit: 2 });
    expect(listed.map((e) => [e.key, e.value])).toEqual([
      ['p/b', 22],
      ['p/c', 3],
    ]);
    expect(listed[0]?.version).toBe(b2.version);
    await cluster.store.settle();
    expect(cluster.maps[2]?.peek('p/b')?.value).toBe(22);
    expect(cluster.maps[2]?.peek('p/d')?.value).toBe(4);
    await expect(cluster.store.list('')).resolves.toHaveLength(3);
    await expect(cluster.store.list('q/')).resolves.toEqual([]);
  });

  it('lists with a quorum and names the failures', async () => {
    cluster = makeCluster();
    cluster.replicas[0]?.setMode('down');
    cluster.replicas[1]?.setMode('down');
    const err = await failure(() => cluster.store.list('p/'));
    expect(err.message).toBe('list of "p/" reached 1 of 3 stores (need 2): dynamodb unavailable, cosmos unavailable');
  });
});

describe('bad input', () => {
  beforeEach(() => {
    cluster = makeCluster();
  });

  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;

  it.each([
    ['empty key', () => cluster.store.put('', 1), 'invalid key ""'],
    ['control character', () => cluster.store.get('a\nb'), 'invalid key "a\\nb"'],
    ['long key', () => cluster.store.delete('k'.repeat(513)), 'invalid key'],
    ['key over 1024 UTF-8 bytes', () => cluster.store.get('€'.repeat(400)), '(1200 bytes of UTF-8)'],
    ['C1 control character', () => cluster.store.get('a\u0085'), 'contains a control character'],
    ['unpaired surrogate', () => cluster.store.get('a\ud800'), 'contains an unpaired surrogate'],
    ['sparse array', () => cluster.store.put('k', [1, , 3] as never), 'invalid value at value[1]: a hole in a sparse array'],
    ['NaN', () => cluster.store.put('k', { n: NaN } as never), 'invalid value at value.n: NaN is not a JSON number'],
    ['undefined field', () => cluster.store.put('k', { a: undefined } as never), 'invalid value at value.a: undefined is not JSON'],
    ['function', () => cluster.store.put('k', [() => 1] as never), 'invalid value at value[0]: function is not JSON'],
    ['class instance', () => cluster.store.put('k', new Point() as never), 'Point is not a plain JSON object'],
    ['cycle', () => cluster.store.put('k', cyclic as never), 'circular reference'],
    ['too large', () => cluster.store.put('k', 'x'.repeat(400 * 1024)), 'exceeds the 358400-byte limit'],
    ['ttl', () => cluster.store.put('k', 1, { ttlMs: -5 }), 'invalid ttlMs'],
    ['expectedVersion', () => cluster.store.put('k', 1, { expectedVersion: 'v1' }), 'invalid expectedVersion "v1"'],
    ['limit', () => cluster.store.list('p/', { limit: 0 }), 'invalid limit'],
    ['prefix', () => cluster.store.list('\u0000'), 'invalid prefix'],
  ])('%s → validation without touching a store', async (_name, call, message) => {
    const err = await failure(call);
    expect(err.code).toBe('validation');
    expect(err.expose).toBe(true);
    expect(err.message).toContain(message);
    expect(cluster.replicas.every((r) => r.calls.length === 0)).toBe(true);
  });
});
