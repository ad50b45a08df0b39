/**
 * Hybrid logical clock (Kulkarni et al.): physical milliseconds, a logical counter and the node id.
 * Pure: the caller passes the physical time in, so this module never reads a clock.
 *
 * Encoded versions sort lexicographically in the same order as {@link compareHlc}, which lets stores
 * compare versions with a plain string comparison (DynamoDB condition expressions, for instance).
 */
import { MeshgateError } from './errors';

export interface Hlc {
  /** Physical component, epoch milliseconds. */
  readonly wallMs: number;
  /** Logical counter, disambiguates events within the same millisecond. */
  readonly counter: number;
  /** Node id of the writer; breaks ties deterministically. */
  readonly node: string;
}

const WALL_DIGITS = 15;
const COUNTER_DIGITS = 6;
const MAX_COUNTER = 10 ** COUNTER_DIGITS - 1;
const NODE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export const ZERO_HLC: Hlc = Object.freeze({ wallMs: 0, counter: 0, node: '' });

export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}

export const maxHlc = (a: Hlc, b: Hlc): Hlc => (compareHlc(a, b) >= 0 ? a : b);

/** Next timestamp for a local event (a write). */
export function tickHlc(last: Hlc, nowMs: number, node: string): Hlc {
  const wallMs = Math.max(last.wallMs, Math.floor(nowMs));
  const counter = wallMs === last.wallMs ? last.counter + 1 : 0;
  return guardCounter({ wallMs, counter, node });
}

/** Merges a timestamp seen from another node (a read) so later local events order after it. */
export function receiveHlc(last: Hlc, remote: Hlc, nowMs: number, node: string): Hlc {
  const now = Math.floor(nowMs);
  const wallMs = Math.max(last.wallMs, remote.wallMs, now);
  let counter: number;
  if (wallMs === last.wallMs && wallMs === remote.wallMs) counter = Math.max(last.counter, remote.counter) + 1;
  else if (wallMs === last.wallMs) counter = last.counter + 1;
  else if (wallMs === remote.wallMs) counter = remote.counter + 1;
  else counter = 0;
  return guardCounter({ wallMs, counter, node });
}

function guardCounter(hlc: Hlc): Hlc {
  if (hlc.counter > MAX_COUNTER) {
    throw new MeshgateError('internal', `HLC counter overflow at ${hlc.wallMs}: clock is stuck or far ahead`);
  }
  return hlc;
}

export function encodeHlc(hlc: Hlc): string {
  return `${String(hlc.wallMs).padStart(WALL_DIGITS, '0')}.${String(hlc.counter).padStart(COUNTER_DIGITS, '0')}.${hlc.node}`;
}

export function decodeHlc(text: string): Hlc {
  const match = /^(\d{15})\.(\d{6})\.(.+)$/.exec(text);
  if (!match || !NODE_PATTERN.test(match[3] ?? '')) {
    throw new MeshgateError('validation', `invalid HLC version "${text}": expected <15-digit ms>.<6-digit counter>.<node id>`);
  }
  return { wallMs: Number(match[1]), counter: Number(match[2]), node: match[3] ?? '' };
}

export function assertNodeId(node: string): string {
  if (!NODE_PATTERN.test(node)) {
    throw new MeshgateError('validation', `invalid node id "${node}": use 1-64 characters from [A-Za-z0-9_.:-]`);
  }
  return node;
}

/** Compares encoded versions; equivalent to compareHlc on the decoded values. */
export const compareVersions = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);
