/**
 * Health function on AWS Lambda. `handler`: API Gateway HTTP API (payload 2.0) route `ANY /health`.
 * `tick`: EventBridge schedule `rate(1 minute)` (EventBridge's minimum); the tick sub-ticks every 5 s inside
 * one invocation until the deadline taken from the Lambda context.
 */
import middy from '@middy/core';
import { healthService } from '../../shared/composition/health';
import { httpErrorHandler, lambdaHttp, lambdaSchedule } from '../../shared/composition/runtime/aws';

export const handler = middy(lambdaHttp(healthService.http)).use(httpErrorHandler());

export const tick = middy(lambdaSchedule(healthService.tick));
