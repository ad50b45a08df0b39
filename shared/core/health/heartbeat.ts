/** Heartbeats: proof that a cloud's timer function runs and can write to the store. Pure. */
import { isJsonObject, type JsonValue } from './json';

export interface Heartbeat {
  readonly cloud: string;
  readonly region: string;
  /** Node (function instance) that wrote it. */
  readonly nodeId: string;
  readonly buildVersion: string;
  /** Epoch ms the writer's clock showed; the age is measured from it. */
  readonly at: number;
}

export const heartbeatToJson = (h: Heartbeat): JsonValue => ({ ...h });

export function parseHeartbeat(value: unknown): Heartbeat | undefined {
  if (!isJsonObject(value)) return undefined;
  const { cloud, region, nodeId, buildVersion, at } = value;
  if (typeof cloud !== 'string' || typeof region !== 'string' || typeof nodeId !== 'string') return undefined;
  if (typeof buildVersion !== 'string' || typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  return { cloud, region, nodeId, buildVersion, at };
}

/** Age in ms, never negative (a writer's clock slightly ahead of the reader's counts as fresh). */
export const heartbeatAgeMs = (h: Heartbeat, nowMs: number): number => Math.max(0, nowMs - h.at);
