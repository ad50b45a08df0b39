/**
 * `npm start`: the local mesh. Starts the three store emulators (moto for DynamoDB and Route 53,
 * cosmosdb-server, the Firestore emulator) and three demo MCP backends on free loopback ports, provisions the
 * stores, then runs each cloud's function set as its own process (infra/local/cloud-host.ts) with the same
 * configuration a deployment would use (meshgate.local.yaml, addresses passed as MESHGATE_LOCAL_*).
 * Prints where everything listens and each cloud's /health every few seconds; Ctrl-C stops it all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createStores } from '../../shared/composition/context';
import { parseConfig } from '../../shared/config';
import type { KeyValueStore } from '../../shared/ports/key-value-store';
import { freePort, startCosmos, startFirestore, startMoto, type RunningEmulator } from './emulators';
import { startDemoMcpServer, type DemoMcpServer } from './demo-mcp-server';
import { readFileSync } from 'node:fs';

const ROOT = join(__dirname, '..', '..');
const CONFIG_PATH = join(ROOT, 'meshgate.local.yaml');
const CLOUDS = ['aws', 'azure', 'gcp'] as const;
const STATUS_EVERY_MS = Number(process.env.MESHGATE_LOCAL_STATUS_MS ?? 5_000);

interface Mesh {
  emulators: RunningEmulator[];
  backends: DemoMcpServer[];
  children: ChildProcess[];
  timers: NodeJS.Timeout[];
}

async function provision(stores: KeyValueStore[]): Promise<void> {
  for (const store of stores) {
    const ensure = (store as { ensureTable?: () => Promise<void>; ensureContainer?: () => Promise<void> });
    await (ensure.ensureTable ?? ensure.ensureContainer)?.call(store);
    await (store as { close?: () => Promise<void> }).close?.();
  }
}

async function start(mesh: Mesh): Promise<void> {
  const [moto, cosmos, firestore] = await Promise.all([startMoto(), startCosmos(), startFirestore()]);
  mesh.emulators.push(moto, cosmos, firestore);
  for (const cloud of CLOUDS) mesh.backends.push(await startDemoMcpServer(`${cloud}-demo`));
  const ports = Object.fromEntries(await Promise.all(CLOUDS.map(async (cloud) => [cloud, await freePort()] as const)));
  const base = (cloud: string): string => `http://127.0.0.1:${ports[cloud]}${cloud === 'azure' ? '/api' : ''}`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MESHGATE_CONFIG: CONFIG_PATH,
    MESHGATE_LOCAL_MOTO_URL: moto.endpoint,
    MESHGATE_LOCAL_COSMOS_URL: cosmos.endpoint,
    MESHGATE_LOCAL_FIRESTORE_HOST: firestore.endpoint,
    MESHGATE_LOCAL_AWS_BACKEND_URL: mesh.backends[0]?.url,
    MESHGATE_LOCAL_AZURE_BACKEND_URL: mesh.backends[1]?.url,
    MESHGATE_LOCAL_GCP_BACKEND_URL: mesh.backends[2]?.url,
    MESHGATE_LOCAL_AWS_URL: base('aws'),
    MESHGATE_LOCAL_AZURE_URL: base('azure'),
    MESHGATE_LOCAL_GCP_URL: base('gcp'),
  };
  const config = parseConfig(readFileSync(CONFIG_PATH, 'utf8'), env, CONFIG_PATH);
  await provision(createStores(config));

  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  for (const cloud of CLOUDS) {
    const child = spawn(tsx, [join(__dirname, 'cloud-host.ts'), cloud, String(ports[cloud])], {
      env: { ...env, MESHGATE_CLOUD: cloud, MESHGATE_LOG_LEVEL: process.env.MESHGATE_LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    mesh.children.push(child);
  }

  console.log('\nmeshgate local mesh');
  for (const cloud of CLOUDS) console.log(`  ${cloud.padEnd(6)} ${base(cloud)}/health`);
  for (const backend of mesh.backends) console.log(`  backend ${backend.name.padEnd(11)} ${backend.url}`);
  console.log(`  stores  dynamodb ${moto.endpoint}  cosmos ${cosmos.endpoint}  firestore ${firestore.endpoint}\n`);

  mesh.timers.push(setInterval(() => void printStatus(CLOUDS.map((cloud) => [cloud, `${base(cloud)}/health`])), STATUS_EVERY_MS));
}

async function printStatus(targets: (readonly [string, string])[]): Promise<void> {
  const parts = await Promise.all(
    targets.map(async ([cloud, url]) => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        const body = (await response.json()) as { checks?: { heartbeat?: { ageMs?: number } } };
        const age = body.checks?.heartbeat?.ageMs;
        return `${cloud} ${response.status}${age === undefined ? '' : ` (heartbeat ${(age / 1000).toFixed(1)} s ago)`}`;
      } catch {
        return `${cloud} down`;
      }
    }),
  );
  console.log(`${new Date().toISOString()}  ${parts.join('  |  ')}`);
}

async function stop(mesh: Mesh): Promise<void> {
  mesh.timers.forEach(clearInterval);
  for (const child of mesh.children) child.kill('SIGTERM');
  await Promise.all(mesh.backends.map((backend) => backend.close()));
  await Promise.all(mesh.emulators.map((emulator) => emulator.stop()));
}

async function main(): Promise<void> {
  const mesh: Mesh = { emulators: [], backends: [], children: [], timers: [] };
  const shutdown = (code: number): void => void stop(mesh).finally(() => process.exit(code));
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  try {
    await start(mesh);
    const seconds = Number(process.env.MESHGATE_LOCAL_RUN_SECONDS ?? 0);
    if (seconds > 0) setTimeout(() => shutdown(0), seconds * 1000);
  } catch (err) {
    console.error(`local mesh failed to start: ${err instanceof Error ? err.message : String(err)}`);
    shutdown(1);
  }
}

void main();
