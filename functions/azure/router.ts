/**
 * Router function on Azure Functions (v4 model): the MCP path (`/api/mcp` by default; GET, POST, DELETE,
 * OPTIONS) and any `router.http_prefixes`, taken from the configuration at registration. Responses stream
 * (the app's main calls `app.setup({ enableHttpStream: true })`); a misconfigured function set answers 503.
 */
import { app } from '@azure/functions';
import { routerPaths, routerService } from '../../shared/composition/router';
import { registerRouter } from '../../shared/composition/runtime/azure';

registerRouter(app, 'router', () => routerService().router, routerPaths());
