/**
 * CPU cost of one pick of each selection strategy (the router's pure core), threading the selection state as the
 * router does: six healthy backends on three clouds, weights 1–3, no request context but a fixed random source.
 * Prints ns per pick, best of several runs, and the geographic strategy once more with a located client. Usage: `npx tsx bench/support/router-bench-picks.ts [iterations]`.
 */
import { INITIAL_SELECTION_STATE, strategies, STRATEGY_NAMES, type Backend, type RequestContext, type Snapshot } from '../../shared/core/routing';

function main(): void {
  const iterations = Number(process.argv[2] ?? 1_000_000);
  const backends: Backend[] = (['aws', 'azure', 'gcp'] as const).flatMap((cloud, i) => [
    { id: `${cloud}-a`, cloud, region: 'r1', url: `http://127.0.0.1:${9000 + i}/`, weight: 1 + i, version: 'v1', healthy: true, latencyEwmaMs: 10 + i, costPerMillion: 1 + i },
    { id: `${cloud}-b`, cloud, region: 'r1', url: `http://127.0.0.1:${9100 + i}/`, weight: 1, version: 'v1', healthy: true, latencyEwmaMs: 12 + i, costPerMillion: 2 + i },
  ]);
  const snapshot: Snapshot = { backends };
  let seed = 1;
  const ctx: RequestContext = { rand: () => ((seed = (seed * 16807) % 2147483647) / 2147483647) };
  for (const name of STRATEGY_NAMES) {
    const strategy = strategies[name];
    let best = Infinity;
    for (let run = 0; run < 5; run++) {
      let state = INITIAL_SELECTION_STATE;
      const started = process.cpuUsage();
      for (let i = 0; i < iterations; i++) state = strategy(snapshot, ctx, state)?.state ?? state;
      const used = process.cpuUsage(started);
      best = Math.min(best, ((used.user + used.system) * 1000) / iterations);
    }
    console.log(`${name}: ${Math.round(best)} ns/pick`);
  }
  // Geographic with a located client: real regions, a client in Germany (two backends tie in europe-west1).
  const regions = { aws: 'us-east-1', azure: 'westeurope', gcp: 'europe-west1' } as const;
  const located: Snapshot = { backends: backends.map((b) => ({ ...b, region: regions[b.cloud] })) };
  const geoCtx: RequestContext = { clientGeo: { country: 'DE' } };
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    let state = INITIAL_SELECTION_STATE;
    const started = process.cpuUsage();
    for (let i = 0; i < iterations; i++) state = strategies.geographic(located, geoCtx, state)?.state ?? state;
    const used = process.cpuUsage(started);
    best = Math.min(best, ((used.user + used.system) * 1000) / iterations);
  }
  console.log(`geographic (client DE): ${Math.round(best)} ns/pick`);
}

main();
