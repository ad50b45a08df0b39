/**
 * Scheduler function on AWS Lambda. `handler`: API Gateway HTTP API (payload 2.0) route `ANY /scheduler/status`.
 * `tick`: EventBridge schedule `rate(1 minute)` (EventBridge's minimum); the tick renews the lease and, as leader,
 * reconciles DNS every 5 s inside one invocation until the deadline taken from the Lambda context.
 */
import middy from '@middy/core';
import { schedulerService } from '../../shared/composition/scheduler';
import { httpErrorHandler, lambdaHttp, lambdaSchedule } from '../../shared/composition/runtime/aws';

export const handler = middy(lambdaHttp(schedulerService.http)).use(httpErrorHandler());

export const tick = middy(lambdaSchedule(schedulerService.tick));
