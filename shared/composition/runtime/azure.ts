/** Azure Functions v4 runtime adapter, as entry points in functions/azure see it. */
export { registerHttp, registerRouter, registerTimer } from '../../adapters/azure/functions-runtime';
