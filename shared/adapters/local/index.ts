/** Local hosts for each cloud's entry points (the local mesh and handler tests use them). */
export { serveAwsHandler, toApiGatewayEvent, lambdaContext, type LocalLambdaHandler } from './aws-host';
export { installLambdaStreamingGlobals, serveStreamingLambda, type StreamingHandler } from './lambda-streaming';
export { serveAzureApp } from './azure-host';
export { serveGcpFunction } from './gcp-host';
export { listen, type LocalHostOptions } from './listen';
