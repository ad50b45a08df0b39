/**
 * Validation of what the runtime hands to the health tick. Pure.
 *
 * The runtime adapters already checked the platform's envelope (EventBridge scheduled event, Azure timer
 * info, Cloud Scheduler body); here meshgate checks its own expectations:
 * - the payload is absent (`undefined`/`null`) or a JSON object; envelope fields are ignored;
 * - `scheduleSeconds`, when present, is an integer in [1, 3600] (period of the schedule that fired);
 * - `isPastDue`, when present, is a boolean (Azure sets it when a run was missed);
 * - `deadlineAt` is a finite epoch ms in the future.
 */
import { MeshgateError } from '../errors';
import { isJsonObject } from './json';

export interface TickRequest {
  readonly scheduleSeconds?: number;
  readonly isPastDue: boolean;
}

export function parseTickPayload(payload: unknown): TickRequest {
  if (payload === undefined || payload === null) return { isPastDue: false };
  if (!isJsonObject(payload)) {
    throw new MeshgateError('validation', `health tick payload: expected an object or nothing, got ${Array.isArray(payload) ? 'array' : typeof payload}`);
  }
  const { scheduleSeconds, isPastDue } = payload;
  if (isPastDue !== undefined && typeof isPastDue !== 'boolean') {
    throw new MeshgateError('validation', 'health tick payload: isPastDue must be a boolean');
  }
  if (scheduleSeconds === undefined) return { isPastDue: isPastDue === true };
  if (typeof scheduleSeconds !== 'number' || !Number.isInteger(scheduleSeconds) || scheduleSeconds < 1 || scheduleSeconds > 3600) {
    throw new MeshgateError('validation', 'health tick payload: scheduleSeconds must be an integer in [1, 3600]');
  }
  return { scheduleSeconds, isPastDue: isPastDue === true };
}

export function assertDeadline(deadlineAt: unknown, nowMs: number): number {
  if (typeof deadlineAt !== 'number' || !Number.isFinite(deadlineAt)) {
    throw new MeshgateError('validation', 'health tick: deadlineAt must be a finite epoch ms');
  }
  if (deadlineAt <= nowMs) {
    throw new MeshgateError('validation', `health tick: deadlineAt is ${nowMs - deadlineAt} ms in the past`);
  }
  return deadlineAt;
}
