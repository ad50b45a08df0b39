/**
 * `npm start`: the local mesh (infra/local/mesh-lib.ts). Starts the three store emulators (moto for DynamoDB and
 * Route 53, cosmosdb-server, the Firestore emulator), the strict Route 53 proxy in front of moto and a hosted zone
 * for `dns.zone`, provisions the stores, then runs each cloud as its own process with the configuration a deployment
 * would use (meshgate.local.yaml): its function set (health and scheduler), its router and its demo MCP backend.
 * Prints where everything listens (point an MCP client at any router's URL), then every few seconds each cloud's
 * /health, the scheduler leader and the weights the leader wrote to Route 53 (moto). Ctrl-C stops it all.
 *
 * Environment: MESHGATE_LOCAL_STATUS_MS (status period, default 5000), MESHGATE_LOCAL_RUN_SECONDS (stop after),
 * MESHGATE_LOG_LEVEL (cloud processes, default warn), and the MESHGATE_LOCAL_* knobs of meshgate.local.yaml.
 */
import { CLOUDS, startMesh, type Mesh } from './mesh-lib';

const STATUS_EVERY_MS = Number(process.env.MESHGATE_LOCAL_STATUS_MS ?? 5_000);

async function health(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { checks?: { heartbeat?: { ageMs?: number | null; reason?: string }; store?: { ok: boolean; error?: string } } };
    const { heartbeat, store } = body.checks ?? {};
    if (store && !store.ok) return `${response.status} (store ${store.error ?? 'failed'})`;
    if (typeof heartbeat?.ageMs === 'number') return `${response.status} (heartbeat ${(heartbeat.ageMs / 1000).toFixed(1)} s ago)`;
    return `${response.status}${heartbeat?.reason ? ` (heartbeat ${heartbeat.reason})` : ''}`;
  } catch {
    return 'down';
  }
}

async function printStatus(mesh: Mesh): Promise<void> {
  const [parts, leader, zone] = await Promise.all([
    Promise.all(CLOUDS.map(async (cloud) => `${cloud} ${await health(mesh.clouds[cloud].healthUrl)}`)),
    mesh.leader().catch(() => undefined),
    mesh.readZone().catch(() => undefined),
  ]);
  const lead = leader === undefined ? 'leader none' : `leader ${leader.cloud ?? leader.holder} (term ${leader.term}${leader.live ? '' : ', expired'})`;
  const weights =
    zone === undefined
      ? 'dns unreadable'
      : `dns term ${zone.term ?? '-'} weights ${CLOUDS.map((cloud) => `${cloud}=${zone.weights[cloud] ?? '-'}`).join(' ')}`;
  console.log(`${new Date().toISOString()}  ${parts.join('  |  ')}  |  ${lead}  |  ${weights}`);
}

async function main(): Promise<void> {
  let mesh: Mesh | undefined;
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  const shutdown = (code: number): void => {
    if (stopping) return;
    stopping = true;
    timers.forEach(clearInterval);
    void (mesh?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  try {
    mesh = await startMesh();
    if (stopping) return void (await mesh.stop());
    const { clouds, moto, cosmos, firestore, route53, hostedZoneId, config } = mesh;
    console.log('\nmeshgate local mesh');
    for (const cloud of CLOUDS) console.log(`  ${cloud.padEnd(6)} ${clouds[cloud].healthUrl}   ${clouds[cloud].statusUrl}`);
    for (const cloud of CLOUDS) console.log(`  router ${cloud.padEnd(6)} ${clouds[cloud].routerUrl}   (backend ${cloud}-demo ${clouds[cloud].backendUrl})`);
    console.log(`  stores  dynamodb ${moto.endpoint} (through ${route53.endpoint})  cosmos ${cosmos.endpoint}  firestore ${firestore.endpoint}`);
    console.log(`  dns     Route 53 zone ${config.dns.zone} (${hostedZoneId}) on moto ${moto.endpoint}, strict proxy ${route53.endpoint}; record ${config.dns.record}\n`);
    const current = mesh;
    timers.push(setInterval(() => void printStatus(current), STATUS_EVERY_MS));
    const seconds = Number(process.env.MESHGATE_LOCAL_RUN_SECONDS ?? 0);
    if (seconds > 0) setTimeout(() => shutdown(0), seconds * 1000);
  } catch (err) {
    console.error(`local mesh failed to start: ${err instanceof Error ? err.message : String(err)}`);
    shutdown(1);
  }
}

void main();
