/**
 * Key layout of health state in the replicated store. Pure.
 *
 * - `heartbeat/<cloud>`: one record per cloud, rewritten every sub-tick.
 * - `observation/<target>/<observer>`: one record per (target, observer), rewritten after each probe.
 *
 * Both prefixes are configured `eventual` in the store. Target ids are `cloud:<name>` for a peer cloud's
 * /health and `backend:<id>` for an MCP backend.
 */

export const HEARTBEAT_PREFIX = 'heartbeat/';
export const OBSERVATION_PREFIX = 'observation/';

/**
 * Escapes a key segment: keeps `[A-Za-z0-9_.:@~-]`, writes anything else (including `/` and `%`) as `%XXXX`
 * (UTF-16 code unit in hex), so segments never split and distinct ids give distinct keys.
 */
export const keySegment = (id: string): string =>
  id.replace(/[^A-Za-z0-9_.:@~-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export const heartbeatKey = (cloud: string): string => `${HEARTBEAT_PREFIX}${keySegment(cloud)}`;

/** Prefix of all observers' records of one target (or of all targets). */
export const observationPrefix = (target?: string): string =>
  target === undefined ? OBSERVATION_PREFIX : `${OBSERVATION_PREFIX}${keySegment(target)}/`;

export const observationKey = (target: string, observer: string): string =>
  `${observationPrefix(target)}${keySegment(observer)}`;

export const peerTargetId = (cloud: string): string => `cloud:${cloud}`;
export const backendTargetId = (backendId: string): string => `backend:${backendId}`;
