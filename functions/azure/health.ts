/**
 * Health function on Azure Functions (v4 model). `health`: HTTP route `/api/health`, every method (the
 * router answers 405). `healthTick`: timer every 5 s (NCRONTAB has seconds), each run bounded to 4.5 s.
 */
import { app } from '@azure/functions';
import { healthService } from '../../shared/composition/health';
import { registerHttp, registerTimer } from '../../shared/composition/runtime/azure';

registerHttp(app, 'health', healthService.http, { route: 'health' });

registerTimer(app, 'healthTick', '*/5 * * * * *', healthService.tick, { budgetMs: 4_500 });
