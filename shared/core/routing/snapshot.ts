/**
 * Validation of a routing snapshot at the edge (when it is built from the store), so strategies can assume
 * well-formed input. Throws `MeshgateError('validation')` naming the offending path.
 */
import { MeshgateError } from '../errors';
import { CLOUDS, type Snapshot } from './types';

export function validateSnapshot(snapshot: Snapshot): Snapshot {
  const seen = new Set<string>();
  snapshot.backends.forEach((b, i) => {
    const fail = (field: string, message: string): never => {
      const path = `backends[${i}].${field}`;
      throw new MeshgateError('validation', `${path}: ${message}`, { details: { path } });
    };
    if (typeof b.id !== 'string' || b.id.length === 0) fail('id', 'must be a non-empty string');
    if (seen.has(b.id)) fail('id', `duplicate id ${b.id}`);
    seen.add(b.id);
    if (!CLOUDS.includes(b.cloud)) fail('cloud', `must be one of ${CLOUDS.join(', ')}`);
    if (typeof b.region !== 'string') fail('region', 'must be a string');
    if (typeof b.url !== 'string' || b.url.length === 0) fail('url', 'must be a non-empty string');
    if (!(Number.isInteger(b.weight) && b.weight >= 0 && b.weight <= 255)) fail('weight', 'must be an integer 0-255');
    if (typeof b.version !== 'string') fail('version', 'must be a string');
    if (typeof b.healthy !== 'boolean') fail('healthy', 'must be a boolean');
    const optional = (field: 'latencyEwmaMs' | 'costPerMillion', v: number | undefined): void => {
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) fail(field, 'must be a finite number >= 0');
    };
    optional('latencyEwmaMs', b.latencyEwmaMs);
    optional('costPerMillion', b.costPerMillion);
    const ratio = (field: 'errorRate' | 'load', v: number | undefined): void => {
      if (v !== undefined && !(v >= 0 && v <= 1)) fail(field, 'must be a number from 0 to 1');
    };
    ratio('errorRate', b.errorRate);
    ratio('load', b.load);
    if ((b.latitude === undefined) !== (b.longitude === undefined)) fail('latitude', 'latitude and longitude go together');
    if (b.latitude !== undefined && !(Math.abs(b.latitude) <= 90)) fail('latitude', 'must be within ±90');
    if (b.longitude !== undefined && !(Math.abs(b.longitude) <= 180)) fail('longitude', 'must be within ±180');
  });
  return snapshot;
}
