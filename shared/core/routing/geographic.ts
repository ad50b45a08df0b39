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

/** Where a backend is: its own coordinates (the backend itself, not a copy) or its region's; allocates nothing. */
function backendPosition(b: Backend): LatLon | undefined {
  return validLatLon(b) ? b : regionLocation(b.cloud, b.region);
}

export function locateBackend(b: Backend): LatLon | undefined {
  const at = backendPosition(b);
  // A copy of the backend's own coordinates; a region's location is returned as the table holds it.
  return at === b ? { latitude: at.latitude, longitude: at.longitude } : at;
}

/** Distance from `client` to a backend, Infinity when the backend has no location; allocates nothing. */
function distanceKm(client: LatLon, b: Backend): number {
  const at = backendPosition(b);
  return at === undefined ? Infinity : haversineKm(client, at);
}

let scratch = new Float64Array(16);

export function geographic(
  snapshot: Snapshot,
  ctx: RequestContext = {},
  state: SelectionState = INITIAL_SELECTION_STATE,
): Selection | undefined {
  const { backends, failedOpen } = candidates(snapshot, ctx);
  const client = locateClient(ctx.clientGeo);
  let pool: readonly Backend[] = backends;
  if (client !== undefined && backends.length > 1) {
    // Distances go to a scratch buffer reused across picks (the function is synchronous, so no pick can see
    // another's); the pool is the candidate list itself when every candidate is within GEO_TIE_KM of the nearest.
    if (scratch.length < backends.length) scratch = new Float64Array(Math.max(backends.length, 2 * scratch.length));
    let nearest = Infinity;
    for (let i = 0; i < backends.length; i++) {
      const d = distanceKm(client, backends[i] as Backend);
      scratch[i] = d;
      if (d < nearest) nearest = d;
    }
    if (Number.isFinite(nearest)) {
      let near: Backend[] | undefined;
      for (let i = 0; i < backends.length; i++) {
        const within = (scratch[i] as number) <= nearest + GEO_TIE_KM;
        if (near !== undefined) {
          if (within) near.push(backends[i] as Backend);
        } else if (!within) {
          near = backends.slice(0, i);
        }
      }
      if (near !== undefined) pool = near;
    }
  }
  const picked = smoothPick(snapshot, pool, state);
  return picked === undefined ? undefined : { backend: picked.backend, state: picked.state, failedOpen };
}
