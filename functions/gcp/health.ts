/**
 * Health functions on Cloud Functions (gen2). `health`: HTTP, serves `/health` (also reached as `/` through
 * the cloudfunctions.net URL). `healthTick`: Cloud Scheduler HTTP target, `POST {"schedule":"tick"}` every
 * minute (the scheduler's minimum); the tick sub-ticks every 5 s within its 55 s budget.
 * Exported by name so the runtime's own framework finds them (`--entry-point health|healthTick`).
 */
import { healthService } from '../../shared/composition/health';
import { registerHttp, registerSchedule } from '../../shared/composition/runtime/gcp';

export const health = registerHttp('health', healthService.http, { mountPath: '/health' });

export const healthTick = registerSchedule('healthTick', healthService.tick);
