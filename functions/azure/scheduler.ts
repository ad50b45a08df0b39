/**
 * Scheduler function on Azure Functions (v4 model). `scheduler`: HTTP route `/api/scheduler/status`, every method
 * (the router answers 405). `schedulerTick`: timer every 5 s (NCRONTAB has seconds), each run bounded to 4.5 s:
 * one lease renewal and, as leader, one reconcile per run.
 */
import { app } from '@azure/functions';
import { schedulerService } from '../../shared/composition/scheduler';
import { registerHttp, registerTimer } from '../../shared/composition/runtime/azure';

registerHttp(app, 'scheduler', schedulerService.http, { route: 'scheduler/status' });

registerTimer(app, 'schedulerTick', '*/5 * * * * *', schedulerService.tick, { budgetMs: 4_500 });
