/**
 * Geographic selection: the candidate nearest to the client by great-circle distance.
 *
 * - Client location: `ctx.clientGeo` coordinates, or the centroid of `ctx.clientGeo.country` (ISO alpha-2).
 *   Turning a header such as CloudFront-Viewer-Country into `{country}` is the caller's job.
 * - Backend location: its own `latitude`/`longitude`, else the well-known region table (`cloud:region`).
 *   Backends without a location rank after every located one.
 * - Candidates within {@link GEO_TIE_KM} of the nearest distance (several backends in one region) share the
 *   traffic by smooth weighted round robin; the weighted state is threaded through `state`.
 * - When the client's location is unknown, or no candidate has a location, all candidates share by smooth
 *   weighted round robin (like a Route 53 geolocation "default" record).
 */
import { candidates } from './candidates';
import { countryCentroid, regionLocation } from './geo-data';
import {
  INITIAL_SELECTION_STATE,
  type Backend,
  type ClientGeo,
  type LatLon,
  type RequestContext,
  type Selection,
  type SelectionState,
  type Snapshot,
} from './types';
import { smoothPick } from './weighted';

/** Mean Earth radius (IUGG), kilometres. */
export const EARTH_RADIUS_KM = 6371.0088;

/** Backends this close (km) to the nearest one are treated as equally near. */
export const GEO_TIE_KM = 1;

const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle distance in kilometres (haversine formula). Symmetric, zero for the same point. */
export function haversineKm(a: LatLon, b: LatLon): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, Math.max(0, h))));
}

const validLatLon = (p: Partial<LatLon>): p is LatLon =>
  typeof p.latitude === 'number' &&
  typeof p.longitude === 'number' &&
  Math.abs(p.latitude) <= 90 &&
  Math.abs(p.longitude) <= 180;

export function locateClient(geo: ClientGeo | undefined): LatLon | undefined {
  if (geo === undefined) return undefined;
  if ('country' in geo) return countryCentroid(geo.country);
  return validLatLon(geo) ? { latitude: geo.latitude, longitude: geo.longitude } : undefined;
}

export function locateBackend(b: Backend): LatLon | undefined {
  const own = { latitude: b.latitude, longitude: b.longitude };
  return validLatLon(own) ? own : regionLocation(b.cloud, b.region);
}

export function geographic(
  snapshot: Snapshot,
  ctx: RequestContext = {},
  state: SelectionState = INITIAL_SELECTION_STATE,
): Selection | undefined {
  const { backends, failedOpen } = candidates(snapshot, ctx);
  const client = locateClient(ctx.clientGeo);
  let pool: readonly Backend[] = backends;
  if (client !== undefined) {
    const distances = backends.map((b) => {
      const at = locateBackend(b);
      return at === undefined ? Infinity : haversineKm(client, at);
    });
    const nearest = Math.min(...distances);
    if (Number.isFinite(nearest)) pool = backends.filter((_, i) => (distances[i] ?? Infinity) <= nearest + GEO_TIE_KM);
  }
  const picked = smoothPick(snapshot, pool, state);
  return picked === undefined ? undefined : { ...picked, failedOpen };
}
