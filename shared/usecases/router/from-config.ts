/**
 * Maps configured backends (`multi_cloud.backends` in meshgate.yaml) to router backends. Structural, so the
 * use case does not depend on the config module; composition passes `config.backends` straight in.
 */
import type { Cloud } from '../../core/routing';
import type { RouterBackend } from './types';

export interface BackendConfigLike {
  readonly id: string;
  readonly url: string;
  readonly provider: Cloud;
  readonly region: string;
  readonly weight: number;
  readonly version: string;
  readonly costPerMillionRequests?: number;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly transport: 'mcp' | 'http';
}

export function backendsFromConfig(backends: readonly BackendConfigLike[]): RouterBackend[] {
  return backends.map((b) => ({
    id: b.id,
    cloud: b.provider,
    region: b.region,
    url: b.url,
    weight: b.weight,
    version: b.version,
    transport: b.transport,
    ...(b.costPerMillionRequests === undefined ? {} : { costPerMillion: b.costPerMillionRequests }),
    ...(b.latitude === undefined || b.longitude === undefined ? {} : { latitude: b.latitude, longitude: b.longitude }),
  }));
}
