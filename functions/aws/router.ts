/**
 * Router function on AWS Lambda, behind a Function URL with `InvokeMode: RESPONSE_STREAM` (API Gateway would
 * buffer SSE and cut long calls at 29 s). middy wraps the handler in `awslambda.streamifyResponse` and streams
 * the body after the HTTP prelude; a misconfigured function set answers 503 through `httpErrorHandler`.
 */
import middy from '@middy/core';
import { routerService } from '../../shared/composition/router';
import { httpErrorHandler, lambdaRouter } from '../../shared/composition/runtime/aws';

export const handler = middy(lambdaRouter(() => routerService().router), { streamifyResponse: true }).use(httpErrorHandler());
