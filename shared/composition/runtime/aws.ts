/** AWS Lambda runtime adapter, as entry points in functions/aws see it. */
export { httpErrorHandler, lambdaHttp, lambdaRouter, lambdaSchedule } from '../../adapters/aws/lambda-runtime';
