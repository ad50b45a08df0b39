/**
 * The health function's service, one per process. For now the liveness ping (`./ping`); the health use case
 * replaces this body and keeps the export: `healthService: { http, tick }`.
 */
import { version } from '../../package.json';
import { createPingService, runtimeIdentity, type PingService } from './ping';

// Temporary: read here until shared/config exposes the runtime identity (cloud, region, version).
// eslint-disable-next-line no-restricted-properties
export const healthService: PingService = createPingService(runtimeIdentity(process.env, version));
