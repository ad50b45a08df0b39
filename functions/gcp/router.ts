/**
 * Router function on Cloud Functions (gen2): an HTTP function whose Express response is the router's stream,
 * so SSE answers reach the client chunk by chunk. Serves `/mcp` (and any `router.http_prefixes`) at its run.app
 * URL or through `https://REGION-PROJECT.cloudfunctions.net/router`. Exported by name (`--entry-point router`).
 */
import { routerService } from '../../shared/composition/router';
import { registerRouter } from '../../shared/composition/runtime/gcp';

export const router = registerRouter('router', () => routerService().router);
