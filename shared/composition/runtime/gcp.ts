/** Functions Framework runtime adapter, as entry points in functions/gcp see it. */
export { registerHttp, registerRouter, registerSchedule } from '../../adapters/gcp/functions-framework-runtime';
