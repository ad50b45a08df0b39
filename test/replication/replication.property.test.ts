import fc from 'fast-check';
import { compareHlc, compareVersions, decodeHlc, encodeHlc, receiveHlc, tickHlc, type Hlc } from '../../shared/core/hlc';
import { decideQuorumRead, decodeSessionToken, encodeSessionToken, observeInSession, EMPTY_SESSION } from '../../shared/core/replication';
import { systemClock } from '../../shared/adapters/system-clock';
import type { Consistency, Entry } from '../../shared/ports/state-store';
import type { PutCondition, VersionedRecord } from '../../shared/ports/key-value-store';
import { ReplicatedStore } from '../../shared/usecases/replicated-store';
import { FaultyKeyValueStore, type FaultMode } from '../support/faulty-key-value-store';
import { MapKeyValueStore } from '../support/map-key-value-store';

const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

const nodeArb = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/);
const hlcArb: fc.Arbitrary<Hlc> = fc.record({
  wallMs: fc.integer({ min: 0, max: 2 ** 45 }),
  counter: fc.integer({ min: 0, max: 900_000 }),
  node: nodeArb,
});

describe('hybrid logical clock', () => {
  it('tick is strictly increasing whatever the physical clock does', () => {
    fc.assert(
      fc.property(hlcArb, fc.array(fc.integer({ min: 0, max: 2 ** 45 }), { maxLength: 60 }), nodeArb, (start, readings, node) => {
        let last = start;
        for (const now of readings) {
          const next = tickHlc(last, now, node);
          expect(compareHlc(next, last)).toBe(1);
          expect(next.wallMs).toBeGreaterThanOrEqual(now);
          last = next;
        }
      }),
    );
  });

  it('receive orders after both the local and the remote timestamp', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, fc.integer({ min: 0, max: 2 ** 45 }), nodeArb, (local, remote, now, node) => {
        const merged = receiveHlc(local, remote, now, node);
        expect(compareHlc(merged, local)).toBe(1);
        expect(compareHlc(merged, remote)).toBe(1);
        // ...and the next local event still orders after the merge.
        expect(compareHlc(tickHlc(merged, now, node), merged)).toBe(1);
      }),
    );
  });

  it('encode/decode round-trips and encoded strings sort exactly like the clocks', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, (a, b) => {
        expect(decodeHlc(encodeHlc(a))).toEqual(a);
        expect(sign(compareVersions(encodeHlc(a), encodeHlc(b)))).toBe(sign(compareHlc(a, b)));
      }),
    );
  });

  it('session tokens round-trip and only move forward', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b/c', 'ü/ключ'), hlcArb), { maxLength: 30 }), (observations) => {
        let state = EMPTY_SESSION;
        for (const [key, hlc] of observations) {
          const next = observeInSession(state, key, encodeHlc(hlc), 2);
          if (state.horizon !== undefined) expect(compareVersions(next.horizon ?? '', state.horizon)).toBeGreaterThanOrEqual(0);
          state = next;
          expect(decodeSessionToken(encodeSessionToken(state))).toEqual(state);
          expect(state.keys.size).toBeLessThanOrEqual(2);
        }
      }),
    );
  });
});

describe('quorum read decision', () => {
  const version = (n: number): string => encodeHlc({ wallMs: n, counter: 0, node: 'n' });
  const answer = fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined });

  it('with every replica answering, never returns a version fewer than W hold or have passed', () => {
    fc.assert(
      fc.property(fc.array(answer, { minLength: 3, maxLength: 3 }), (held) => {
        const answers = held.map((v, replica) => ({ replica, record: v === undefined ? undefined : { key: 'k', value: v, version: version(v) } }));
        const decision = decideQuorumRead({ answers, failed: 0, pending: 0 }, { replicas: 3, writeQuorum: 2, readQuorum: 2 });
        expect(decision.kind).toBe('resolved');
        if (decision.kind !== 'resolved') return;
        const atOrPast = held.filter((v) => (v ?? 0) >= ((decision.record?.value as number | undefined) ?? 0)).length;
        expect(atOrPast).toBeGreaterThanOrEqual(2);
        // Nothing newer than the answer is held by two replicas.
        const newerHeldTwice = held.some((v) => v !== undefined && v > ((decision.record?.value as number | undefined) ?? 0) && held.filter((w) => w === v).length >= 2);
        expect(newerHeldTwice).toBe(false);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Convergence under random interleavings, delivery orders and failures.

/** Remembers every record a replica actually stored. */
class RecordingStore extends MapKeyValueStore {
  readonly applied: VersionedRecord[] = [];
  override async put(record: VersionedRecord, condition?: PutCondition): Promise<void> {
    await super.put(record, condition);
    this.applied.push(record);
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Op {
  readonly node: number;
  readonly key: string;
  readonly kind: 'put' | 'delete' | 'read';
  readonly gapMs: number;
}

const KEYS = ['k0', 'k1', 'k2'];
const scenarioArb = fc.record({
  seed: fc.integer(),
  faultRate: fc.double({ min: 0, max: 0.45, noNaN: true }),
  ops: fc.array(
    fc.record({
      node: fc.integer({ min: 0, max: 2 }),
      key: fc.constantFrom(...KEYS),
      kind: fc.constantFrom<Op['kind']>('put', 'put', 'put', 'delete', 'read', 'read'),
      gapMs: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: 1, maxLength: 20 },
  ),
});

async function runScenario(
  consistency: Consistency,
  scenario: { seed: number; faultRate: number; ops: readonly Op[] },
  options: { readonly deletes: boolean; readonly reads: boolean; readonly faults: readonly FaultMode[] },
): Promise<{ maps: RecordingStore[]; acked: Entry[] }> {
  const random = mulberry32(scenario.seed);
  const maps = ['dynamodb', 'cosmos', 'firestore'].map((name) => new RecordingStore(name));
  const replicas = maps.map((map) => new FaultyKeyValueStore(map));
  const writeFaults = options.faults;
  for (const replica of replicas) {
    replica.delay = () => Math.floor(random() * 3);
    replica.chaos = (op) => {
      if (random() >= scenario.faultRate) return undefined;
      return op === 'put' || op === 'delete' ? writeFaults[Math.floor(random() * writeFaults.length)] : 'down';
    };
  }
  const nodes = [0, 1, 2].map(
    (i) =>
      new ReplicatedStore({
        stores: replicas,
        clock: systemClock,
        nodeId: `node-${i}`,
        defaultConsistency: consistency,
        callTimeoutMs: 1_000,
        retry: { attempts: 8, baseDelayMs: 1, maxDelayMs: 8 },
        random,
      }),
  );
  const acked: Entry[] = [];
  const calls: Promise<unknown>[] = [];
  let value = 0;
  for (const op of scenario.ops.filter((o) => options.reads || o.kind !== 'read')) {
    const node = nodes[op.node] as ReplicatedStore;
    // Handlers are attached at once: a call may fail while the loop waits before the next one.
    if (op.kind === 'read') calls.push((op.key === 'k0' ? node.list('') : node.get(op.key)).catch(() => undefined));
    else if (op.kind === 'delete' && options.deletes) calls.push(node.delete(op.key).catch(() => undefined));
    else calls.push(node.put(op.key, (value += 1)).then((entry) => acked.push(entry), () => undefined));
    if (op.gapMs > 0) await new Promise((resolve) => setTimeout(resolve, op.gapMs));
  }
  await Promise.allSettled(calls);
  // Faults stop; background fan-out and undo settle; then one read pass repairs whatever is left.
  for (const replica of replicas) {
    replica.chaos = undefined;
    replica.delay = () => 0;
  }
  await Promise.all(nodes.map((node) => node.settle()));
  await nodes[0]?.list('');
  await Promise.all(nodes.map((node) => node.close()));
  return { maps, acked };
}

const byVersion = (a: VersionedRecord, b: VersionedRecord): number => compareVersions(a.version, b.version);

describe('last-writer-wins convergence', () => {
  jest.setTimeout(120_000);

  it('eventual: after repairs settle every replica holds the write with the highest HLC', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const { maps, acked } = await runScenario('eventual', scenario, { deletes: true, reads: true, faults: ['writes-down', 'ack-lost', 'down'] });
        for (const key of KEYS) {
          const everStored = maps.flatMap((map) => map.applied.filter((r) => r.key === key)).sort(byVersion);
          const winner = everStored[everStored.length - 1];
          for (const map of maps) expect(map.peek(key)).toEqual(winner);
          // No acknowledged write of the key is newer than what won.
          for (const entry of acked.filter((e) => e.key === key)) expect(compareVersions(entry.version, winner?.version ?? '')).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 60 },
    );
  });

  type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;
  const strongConverges = (options: Parameters<typeof runScenario>[2]) => async (scenario: Scenario): Promise<void> => {
    const { maps, acked } = await runScenario('strong', scenario, options);
    for (const key of KEYS) {
      const winner = acked.filter((e) => e.key === key).sort((a, b) => compareVersions(a.version, b.version)).pop();
      for (const map of maps) {
        const held = map.peek(key);
        expect(held?.version).toBe(winner?.version);
        expect(held?.value).toBe(winner?.value);
      }
    }
  };

  it('strong, writers only, acknowledgements lost too: every replica ends on the highest acknowledged write; failed writes leave nothing', async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, strongConverges({ deletes: false, reads: false, faults: ['writes-down', 'ack-lost', 'down'] })), { numRuns: 60 });
  });

  it('strong, readers repairing concurrently: the same, and read repair never spreads a failed write', async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, strongConverges({ deletes: false, reads: true, faults: ['writes-down', 'down'] })), { numRuns: 60 });
  });
});
