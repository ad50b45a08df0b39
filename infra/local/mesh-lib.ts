/**
 * The local mesh as a library: `startMesh(options)` starts the three store emulators (moto for DynamoDB and
 * Route 53, cosmosdb-server, the Firestore emulator), the strict Route 53 proxy in front of moto, a Route 53 hosted
 * zone for `dns.zone`, provisions the stores, then runs each cloud as its own process (infra/local/cloud-host.ts)
 * with the configuration a deployment would use (meshgate.local.yaml, addresses passed as MESHGATE_LOCAL_*): its
 * function set (health and scheduler), its router (MCP endpoint `/mcp`) and its demo MCP backend (`<cloud>-demo`).
 * `npm start` (infra/local/mesh.ts) and the failover benchmark (bench/failover.bench.ts) both use it.
 *
 * Every cloud process runs in its own process group on fixed loopback ports (function set, router, backend), so it
 * can be killed (SIGKILL to the group), paused (SIGSTOP), resumed and started again on the same ports; its router
 * and backend go down and come back with it. Nothing is ever stopped by name.
 *
 * The whole AWS endpoint (`providers.aws.endpoint`) points at the proxy: Route 53 change batches are checked the way
 * Route 53 checks them (moto alone would accept a stale leader's fenced batch, DESIGN.md §5) and every other request,
 * DynamoDB included, is forwarded to moto unchanged. Readers that only look (`readZone`) go to moto directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { createStores } from '../../shared/composition/context';
import { parseConfig, type MeshgateConfig } from '../../shared/config';
import type { KeyValueStore } from '../../shared/ports/key-value-store';
import { freePort, startCosmos, startFirestore, startMoto, type RunningEmulator } from './emulators';
import { listZone, startStrictRoute53Proxy, type RecordSet, type StrictRoute53Proxy } from './strict-route53-proxy';

export const ROOT = join(__dirname, '..', '..');
export const LOCAL_CONFIG_PATH = join(ROOT, 'meshgate.local.yaml');
export const CLOUDS = ['aws', 'azure', 'gcp'] as const;
export type Cloud = (typeof CLOUDS)[number];

const CLOUD_HOST = join(__dirname, 'cloud-host.ts');
const START_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 3_000;

export interface MeshOptions {
  /** Added to every cloud process's environment, after the mesh's own MESHGATE_LOCAL_* addresses. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Base URL through which `observer` reaches `target`'s function set (its `peers.<target>`); default the direct
   * URL. Called once per ordered pair of distinct clouds, after the ports are chosen and before any cloud starts.
   * The host must stay the direct URL's host: the scheduler publishes each cloud's peers host in DNS.
   */
  readonly peerUrl?: (observer: Cloud, target: Cloud, direct: string) => string | Promise<string>;
  /** Directory for `<cloud>.log` (stdout and stderr of each cloud process, appended); default: inherit. */
  readonly logDir?: string;
  /** MESHGATE_LOG_LEVEL of the cloud processes; default `$MESHGATE_LOG_LEVEL` or `warn`. */
  readonly logLevel?: string;
  /** Default meshgate.local.yaml. */
  readonly configPath?: string;
}

export interface CloudProcess {
  readonly cloud: Cloud;
  readonly port: number;
  /** The function set's base URL (`.../api` on Azure). */
  readonly baseUrl: string;
  /** The cloud's router: its MCP endpoint (`http://127.0.0.1:<port>/mcp`). */
  readonly routerUrl: string;
  /** The cloud's demo MCP backend (`<cloud>-demo`), as the routers reach it. */
  readonly backendUrl: string;
  readonly healthUrl: string;
  readonly statusUrl: string;
  /** PID (= process group id) while running. */
  pid(): number | undefined;
  /** MESHGATE_NODE_ID of the current (or last) process: `<cloud>-local-<n>`, n counting starts. */
  nodeId(): string;
  running(): boolean;
  paused(): boolean;
  /** Starts the process; resolves once its HTTP port answers. */
  start(): Promise<void>;
  /** Signals the whole process group (default SIGKILL) and waits for the process to exit. */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** SIGSTOP / SIGCONT to the process group. */
  pause(): void;
  resume(): void;
}

export interface ZoneState {
  /** Term in `_meshgate-term.<zone>` TXT, null when none. */
  readonly term: number | null;
  /** Weight of each cloud's record at `dns.record` (set id = cloud); absent when there is no record. */
  readonly weights: Readonly<Partial<Record<Cloud, number>>>;
  readonly records: readonly RecordSet[];
}

export interface LeaderInfo {
  readonly holder: string;
  readonly term: number;
  readonly live: boolean;
  /** The cloud whose process holds the lease, when the holder id names one of the mesh's processes. */
  readonly cloud: Cloud | undefined;
}

export interface Mesh {
  readonly clouds: Readonly<Record<Cloud, CloudProcess>>;
  readonly moto: RunningEmulator;
  readonly cosmos: RunningEmulator;
  readonly firestore: RunningEmulator;
  readonly route53: StrictRoute53Proxy;
  readonly hostedZoneId: string;
  /** The configuration every cloud process reads (with the mesh's addresses). */
  readonly config: MeshgateConfig;
  /** The environment shared by all cloud processes (before per-cloud peers and node id). */
  readonly env: Readonly<NodeJS.ProcessEnv>;
  readZone(): Promise<ZoneState>;
  /** The lease as `GET /scheduler/status` reports it, from the first running cloud that answers. */
  leader(): Promise<LeaderInfo | undefined>;
  stop(): Promise<void>;
}

/** Process groups of running cloud processes; killed synchronously if this process exits without stopping them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) signalGroup(pgid, 'SIGCONT');
    for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

async function provision(stores: KeyValueStore[]): Promise<void> {
  for (const store of stores) {
    const ensure = store as { ensureTable?: () => Promise<void>; ensureContainer?: () => Promise<void> };
    await (ensure.ensureTable ?? ensure.ensureContainer)?.call(store);
    await (store as { close?: () => Promise<void> }).close?.();
  }
}

async function createHostedZone(motoEndpoint: string, zone: string): Promise<string> {
  const client = new Route53Client({ region: 'us-east-1', endpoint: motoEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const out = await client.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `meshgate-local-${Date.now()}` }));
    const id = out.HostedZone?.Id?.replace(/^\/hostedzone\//, '');
    if (!id) throw new Error('CreateHostedZone on moto returned no zone id');
    return id;
  } finally {
    client.destroy();
  }
}

const envName = (cloud: Cloud): string => `MESHGATE_LOCAL_${cloud.toUpperCase()}_URL`;

interface CloudPorts {
  readonly functions: number;
  readonly router: number;
  readonly backend: number;
}

const backendUrl = (port: number): string => `http://127.0.0.1:${port}/mcp`;

/** Nine distinct free ports: each cloud's function set, router and backend keep theirs across restarts. */
async function choosePorts(): Promise<Record<Cloud, CloudPorts>> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) return taken.add(port), port;
    }
  };
  const ports = {} as Record<Cloud, CloudPorts>;
  for (const cloud of CLOUDS) ports[cloud] = { functions: await next(), router: await next(), backend: await next() };
  return ports;
}

function cloudProcess(cloud: Cloud, ports: CloudPorts, env: () => NodeJS.ProcessEnv, logDir: string | undefined): CloudProcess {
  const port = ports.functions;
  const baseUrl = `http://127.0.0.1:${port}${cloud === 'azure' ? '/api' : ''}`;
  const routerUrl = `http://127.0.0.1:${ports.router}/mcp`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let starts = 0;
  let isPaused = false;
  const nodeId = (): string => `${cloud}-local-${Math.max(1, starts)}`;

  const self: CloudProcess = {
    cloud,
    port,
    baseUrl,
    routerUrl,
    backendUrl: backendUrl(ports.backend),
    healthUrl: `${baseUrl}/health`,
    statusUrl: `${baseUrl}/scheduler/status`,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    nodeId,
    running: () => self.pid() !== undefined,
    paused: () => isPaused,
    async start() {
      if (self.running()) throw new Error(`${cloud}: already running`);
      starts += 1;
      isPaused = false;
      let out: number | 'inherit' = 'inherit';
      if (logDir !== undefined) {
        mkdirSync(logDir, { recursive: true });
        out = openSync(join(logDir, `${cloud}.log`), 'a');
      }
      // `node --import tsx` rather than the tsx CLI: one process per cloud, the PID we hold is the server's.
      const spawned = spawn(process.execPath, ['--import', 'tsx', CLOUD_HOST, cloud, String(port), String(ports.router), String(ports.backend)], {
        cwd: ROOT,
        env: { ...env(), MESHGATE_CLOUD: cloud, MESHGATE_NODE_ID: nodeId() },
        stdio: ['ignore', out, out],
        detached: true,
      });
      if (typeof out === 'number') closeSync(out);
      child = spawned;
      const pid = spawned.pid;
      if (pid === undefined) throw new Error(`${cloud}: could not start ${CLOUD_HOST}`);
      installExitHook();
      liveGroups.add(pid);
      exited = new Promise<void>((resolve) => spawned.once('exit', () => (liveGroups.delete(pid), resolve())));
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Date.now() < deadline) {
        if (!self.running()) throw new Error(`${cloud}: cloud-host exited during start (code ${String(spawned.exitCode)})`);
        if ((await answers(self.healthUrl)) && (await answers(routerUrl))) return;
        await sleep(250);
      }
      await self.kill();
      throw new Error(`${cloud}: no answer on ${self.healthUrl} within ${START_TIMEOUT_MS / 1000} s`);
    },
    async kill(signal = 'SIGKILL') {
      const pid = self.pid();
      if (pid === undefined) return;
      if (isPaused) signalGroup(pid, 'SIGCONT');
      isPaused = false;
      signalGroup(pid, signal);
      const gone = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!gone) {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
      // Grandchildren (none expected) go with the group.
      signalGroup(pid, 'SIGKILL');
    },
    pause() {
      const pid = self.pid();
      if (pid === undefined) throw new Error(`${cloud}: not running`);
      signalGroup(pid, 'SIGSTOP');
      isPaused = true;
    },
    resume() {
      const pid = self.pid();
      if (pid === undefined) throw new Error(`${cloud}: not running`);
      signalGroup(pid, 'SIGCONT');
      isPaused = false;
    },
  };
  return self;
}

/** The weighted records and the fence term of the mesh's zone, as read from moto. */
export function zoneState(records: readonly RecordSet[], config: MeshgateConfig): ZoneState {
  const fqdn = (name: string): string => `${name.trim().toLowerCase().replace(/\.+$/, '')}.`;
  const fence = fqdn(`_meshgate-term.${config.dns.zone}`);
  const record = fqdn(config.dns.record);
  let term: number | null = null;
  const weights: Partial<Record<Cloud, number>> = {};
  for (const r of records) {
    if (fqdn(r.name) === fence && r.type === 'TXT') {
      const match = /term=(\d+)/.exec(r.values.join(''));
      if (match) term = Number(match[1]);
    } else if (fqdn(r.name) === record && (CLOUDS as readonly string[]).includes(r.setId) && r.weight !== undefined) {
      weights[r.setId as Cloud] = r.weight;
    }
  }
  return { term, weights, records };
}

export async function startMesh(options: MeshOptions = {}): Promise<Mesh> {
  const configPath = options.configPath ?? LOCAL_CONFIG_PATH;
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
  };
  try {
    const [moto, cosmos, firestore] = await Promise.all([startMoto(), startCosmos(), startFirestore()]);
    started.push(moto, cosmos, firestore);
    const route53 = await startStrictRoute53Proxy(moto.endpoint);
    started.push(route53);
    const ports = await choosePorts();
    const direct = (cloud: Cloud): string => `http://127.0.0.1:${ports[cloud].functions}${cloud === 'azure' ? '/api' : ''}`;

    const configText = readFileSync(configPath, 'utf8');
    const zoneName = parseConfig(configText, { ...process.env, ...options.env }, configPath).dns.zone;
    const hostedZoneId = await createHostedZone(moto.endpoint, zoneName);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MESHGATE_CONFIG: configPath,
      MESHGATE_LOG_LEVEL: options.logLevel ?? process.env.MESHGATE_LOG_LEVEL ?? 'warn',
      MESHGATE_LOCAL_MOTO_URL: route53.endpoint,
      MESHGATE_LOCAL_HOSTED_ZONE_ID: hostedZoneId,
      MESHGATE_LOCAL_COSMOS_URL: cosmos.endpoint,
      MESHGATE_LOCAL_FIRESTORE_HOST: firestore.endpoint,
      MESHGATE_LOCAL_AWS_BACKEND_URL: backendUrl(ports.aws.backend),
      MESHGATE_LOCAL_AZURE_BACKEND_URL: backendUrl(ports.azure.backend),
      MESHGATE_LOCAL_GCP_BACKEND_URL: backendUrl(ports.gcp.backend),
      ...Object.fromEntries(CLOUDS.map((cloud) => [envName(cloud), direct(cloud)])),
      ...options.env,
    };
    const config = parseConfig(configText, env, configPath);
    await provision(createStores(config));

    const peerEnv = {} as Record<Cloud, Record<string, string>>;
    for (const observer of CLOUDS) {
      peerEnv[observer] = {};
      for (const target of CLOUDS) {
        if (target === observer || options.peerUrl === undefined) continue;
        peerEnv[observer][envName(target)] = await options.peerUrl(observer, target, direct(target));
      }
    }
    const clouds = Object.fromEntries(
      CLOUDS.map((cloud) => [cloud, cloudProcess(cloud, ports[cloud], () => ({ ...env, ...peerEnv[cloud] }), options.logDir)]),
    ) as Record<Cloud, CloudProcess>;
    started.push({ stop: () => Promise.all(CLOUDS.map((cloud) => clouds[cloud].kill('SIGTERM'))).then(() => undefined) });
    await Promise.all(CLOUDS.map((cloud) => clouds[cloud].start()));

    let stopped: Promise<void> | undefined;
    return {
      clouds,
      moto,
      cosmos,
      firestore,
      route53,
      hostedZoneId,
      config,
      env,
      readZone: async () => zoneState(await listZone(moto.endpoint, hostedZoneId), config),
      leader: async () => {
        for (const cloud of CLOUDS) {
          const proc = clouds[cloud];
          if (!proc.running() || proc.paused()) continue;
          try {
            const response = await fetch(proc.statusUrl, { signal: AbortSignal.timeout(2_000) });
            if (response.status !== 200) continue;
            const body = (await response.json()) as { leader?: { holder: string; term: number; live: boolean } | null };
            if (!body.leader) return undefined;
            const { holder, term, live } = body.leader;
            const owner = CLOUDS.find((c) => holder.startsWith(`${c}-`));
            return { holder, term, live, cloud: owner };
          } catch {
            continue;
          }
        }
        return undefined;
      },
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
