/**
 * Scheduler functions on Cloud Functions (gen2). `scheduler`: HTTP, serves `/scheduler/status` (also reached as
 * `/status` through the cloudfunctions.net URL). `schedulerTick`: Cloud Scheduler HTTP target,
 * `POST {"schedule":"tick"}` every minute (the scheduler's minimum); the tick renews the lease and, as leader,
 * reconciles DNS every 5 s within its 55 s budget.
 * Exported by name so the runtime's own framework finds them (`--entry-point scheduler|schedulerTick`).
 */
import { schedulerService } from '../../shared/composition/scheduler';
import { registerHttp, registerSchedule } from '../../shared/composition/runtime/gcp';

export const scheduler = registerHttp('scheduler', schedulerService.http, { mountPath: '/scheduler' });

export const schedulerTick = registerSchedule('schedulerTick', schedulerService.tick);
