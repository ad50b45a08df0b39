/**
 * The router's pure core: backend-selection strategies, circuit breaker, rollouts and feature flags.
 * See docs/routing.md for the operator's view.
 */
import { costOptimized } from './cost';
import { geographic } from './geographic';
import { latencyP2c } from './latency';
import { performanceOptimized } from './performance';
import { roundRobin } from './round-robin';
import type { Strategy, StrategyName } from './types';
import { weightedRoundRobin } from './weighted';

export const strategies: Readonly<Record<StrategyName, Strategy>> = Object.freeze({
  round_robin: roundRobin,
  weighted: weightedRoundRobin,
  latency: latencyP2c,
  geographic,
  cost: costOptimized,
  performance: performanceOptimized,
});

export * from './types';
export { candidates, type CandidateSet } from './candidates';
export { roundRobin } from './round-robin';
export { weightedRoundRobin, smoothPick } from './weighted';
export { latencyP2c, updateEwma, decayAlpha } from './latency';
export { geographic, haversineKm, locateBackend, locateClient, EARTH_RADIUS_KM, GEO_TIE_KM } from './geographic';
export { countryCentroid, regionLocation, KNOWN_COUNTRIES, KNOWN_REGIONS } from './geo-data';
export { costOptimized } from './cost';
export { performanceOptimized, performanceScore, performanceWeights, DEFAULT_PERFORMANCE_WEIGHTS } from './performance';
export * from './circuit-breaker';
export * from './rollout';
export * from './feature-flags';
export { fnv1a32, fmix32, percentBucket } from './hash';
export { validateSnapshot } from './snapshot';
