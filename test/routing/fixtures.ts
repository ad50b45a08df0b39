import fc from 'fast-check';
import type { Backend, Cloud, RequestContext, Snapshot } from '../../shared/core/routing';

export function backend(id: string, over: Partial<Backend> = {}): Backend {
  return {
    id,
    cloud: 'aws',
    region: 'us-east-1',
    url: `https://${id}.example.test/mcp`,
    weight: 1,
    version: 'v1',
    healthy: true,
    ...over,
  };
}

export const snap = (...backends: Backend[]): Snapshot => ({ backends });

/** Deterministic uniform source (mulberry32) for tests. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cloudArb: fc.Arbitrary<Cloud> = fc.constantFrom('aws', 'azure', 'gcp');
const regionArb = fc.constantFrom('us-east-1', 'eu-west-1', 'westeurope', 'eastus', 'us-central1', 'asia-south1', 'nowhere-1');
const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

export const backendsArb: fc.Arbitrary<Backend[]> = fc
  .array(
    fc.record({
      cloud: cloudArb,
      region: regionArb,
      weight: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })),
      version: fc.constantFrom('v1', 'v2'),
      healthy: fc.boolean(),
      latencyEwmaMs: opt(fc.double({ min: 0, max: 2000, noNaN: true })),
      errorRate: opt(fc.double({ min: 0, max: 1, noNaN: true })),
      load: opt(fc.double({ min: 0, max: 1, noNaN: true })),
      costPerMillion: opt(fc.constantFrom(0.2, 0.4, 1, 2.5)),
      latitude: opt(fc.double({ min: -90, max: 90, noNaN: true })),
    }),
    { minLength: 0, maxLength: 8 },
  )
  .map((rows) =>
    rows.map(({ latitude, ...r }, i) =>
      backend(`b${i}`, {
        ...r,
        ...(latitude === undefined ? {} : { latitude, longitude: (latitude * 1.9) % 180 }),
      }),
    ),
  );

export const ctxArb = (ids: readonly string[]): fc.Arbitrary<Omit<RequestContext, 'rand'>> =>
  fc.record({
    exclude: fc.subarray([...ids]).map((xs) => new Set(xs)),
    preferCloudOtherThan: opt(cloudArb),
    failOpen: fc.boolean(),
    latencyBudgetMs: opt(fc.integer({ min: 0, max: 2000 })),
    clientGeo: opt(
      fc.oneof(
        fc.record({ latitude: fc.double({ min: -90, max: 90, noNaN: true }), longitude: fc.double({ min: -180, max: 180, noNaN: true }) }),
        fc.record({ country: fc.constantFrom('US', 'DE', 'jp', 'BR', 'ZZ') }),
      ),
    ),
    clientKey: opt(fc.string()),
  });
