/**
 * Local emulators for the three cloud stores, started as real processes on free loopback ports.
 *
 * Local tooling (the local mesh, tests and benchmarks), not deployed code. Each emulator is spawned directly (never through npx or gcloud, whose
 * grandchildren outlive the PID we hold) in its own process group, and stopped by signalling that group, so
 * nothing is ever killed by name. A missing binary is an error that says how to install it: tests never skip.
 *
 * `restart()` brings the emulator back on the same port, EMPTY (all three emulators keep data in memory only):
 * adapters reconnect on their own, but tables/containers must be created again (`ensureTable()`,
 * `ensureContainer()`; Firestore needs nothing).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type EmulatorName = 'moto' | 'cosmos' | 'firestore';

/** Environment variables through which global-setup.ts hands the shared emulators to jest workers. */
export const ENV_MOTO_ENDPOINT = 'MESHGATE_TEST_MOTO_ENDPOINT';
export const ENV_COSMOS_ENDPOINT = 'MESHGATE_TEST_COSMOS_ENDPOINT';
export const ENV_FIRESTORE_HOST = 'MESHGATE_TEST_FIRESTORE_HOST';

export interface RunningEmulator {
  readonly name: EmulatorName;
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT` for moto and cosmos; `127.0.0.1:PORT` (host:port, as Firestore wants it) for firestore. */
  readonly endpoint: string;
  /** Stops the whole process group (SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
  /** Stops (if running) and starts again on the same port; resolves when ready. The new instance is empty. */
  restart(): Promise<void>;
  /** PID (= process group id) of the running instance, `undefined` while stopped. */
  pid(): number | undefined;
}

interface LaunchSpec {
  readonly name: EmulatorName;
  readonly command: string;
  readonly args: (port: number) => string[];
  readonly env?: NodeJS.ProcessEnv;
  /** True once the emulator answers on `port`. */
  readonly isReady: (port: number) => Promise<boolean>;
  readonly startTimeoutMs: number;
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 5_000;
const LOG_DIR = path.join(os.tmpdir(), 'meshgate-emulators');

/** Process groups started by this process; killed synchronously if the process exits without stopping them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settles within `ms` (without leaving a timer behind either way). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port that was free a moment ago: listen on 127.0.0.1:0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read a free port'))));
    });
  });
}

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** One request on loopback; resolves status and body, or undefined when nothing answers in time. */
function httpRequest(
  port: number,
  urlPath: string,
  { method = 'GET', body, timeoutMs = 1_000 }: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: HOST,
        port,
        path: urlPath,
        method,
        timeout: timeoutMs,
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', authorization: 'Bearer owner' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 4_096) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(payload);
  });
}

const httpGet = (port: number, urlPath: string): Promise<{ status: number; body: string } | undefined> => httpRequest(port, urlPath);

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function tail(file: string, bytes = 2_000): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-bytes).trim();
  } catch {
    return '';
  }
}

class EmulatorProcess implements RunningEmulator {
  readonly host = HOST;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private logFile = '';

  constructor(
    private readonly spec: LaunchSpec,
    readonly port: number,
  ) {}

  get name(): EmulatorName {
    return this.spec.name;
  }

  get endpoint(): string {
    return this.spec.name === 'firestore' ? `${HOST}:${this.port}` : `http://${HOST}:${this.port}`;
  }

  pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Spawns and waits until ready; throws (after cleaning up) when the process dies or never gets ready. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} emulator is already running (pid ${this.child.pid})`);
    fs.mkdirSync(LOG_DIR, { recursive: true });
    this.logFile = path.join(LOG_DIR, `${this.name}-${this.port}-${process.pid}-${Date.now()}.log`);
    const log = fs.openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.spec.command, this.spec.args(this.port), {
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...process.env, ...this.spec.env },
      });
    } finally {
      fs.closeSync(log);
    }
    child.unref();
    this.child = child;
    let exitInfo: string | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = `exited with ${signal ?? `code ${code}`}`;
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = `failed to start: ${err.message}`;
        resolve();
      });
    });
    if (child.pid !== undefined) {
      liveGroups.add(child.pid);
      installExitHook();
    }

    const deadline = Date.now() + this.spec.startTimeoutMs;
    for (;;) {
      if (exitInfo !== undefined) break;
      if (await this.spec.isReady(this.port)) return;
      if (Date.now() > deadline) {
        exitInfo = `not ready after ${this.spec.startTimeoutMs} ms`;
        break;
      }
      await sleep(100);
    }
    await this.stop();
    throw new Error(
      `${this.name} emulator on ${HOST}:${this.port} ${exitInfo} (command: ${this.spec.command} ${this.spec.args(this.port).join(' ')})` +
        `\n--- log ${this.logFile} ---\n${tail(this.logFile)}`,
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const pgid = child.pid;
    if (pgid !== undefined) {
      signalGroup(pgid, 'SIGTERM');
      if (!(await within(this.exited, STOP_GRACE_MS))) signalGroup(pgid, 'SIGKILL');
      await this.exited;
      // The leader may exit before its children (firestore: bash -> java); wait for the whole group.
      const deadline = Date.now() + STOP_GRACE_MS;
      while (signalGroup(pgid, 0) && Date.now() < deadline) await sleep(50);
      signalGroup(pgid, 'SIGKILL');
      liveGroups.delete(pgid);
    }
    this.child = undefined;
    if (!process.env.MESHGATE_KEEP_EMULATOR_LOGS) fs.rmSync(this.logFile, { force: true });
  }

  async restart(): Promise<void> {
    await this.stop();
    // Same port: wait until the old listener has really let go of it, then try a few times.
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const deadline = Date.now() + STOP_GRACE_MS;
      while (!(await isPortFree(this.port)) && Date.now() < deadline) await sleep(100);
      try {
        await this.start();
        return;
      } catch (err) {
        lastError = err;
        await sleep(250);
      }
    }
    throw lastError;
  }
}

/** Starts on a fresh free port; retries with another port if the one picked was taken in the meantime. */
async function launch(spec: LaunchSpec): Promise<RunningEmulator> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const emulator = new EmulatorProcess(spec, await freePort());
    try {
      await emulator.start();
      return emulator;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

// ---- moto (DynamoDB, Route 53, Cost Explorer...) ----

export async function startMoto(): Promise<RunningEmulator> {
  const binary = onPath('moto_server');
  if (!binary) throw new Error("moto_server not found on PATH: pip install 'moto[server]'");
  return launch({
    name: 'moto',
    command: binary,
    args: (port) => ['-H', HOST, '-p', String(port)],
    isReady: async (port) => (await httpGet(port, '/moto-api/')) !== undefined,
    startTimeoutMs: 30_000,
  });
}

// ---- Cosmos DB (@vercel/cosmosdb-server, plain HTTP because its bundled certificate has expired) ----

function cosmosCli(): string {
  let manifestPath: string;
  try {
    manifestPath = require.resolve('@vercel/cosmosdb-server/package.json');
  } catch {
    throw new Error('@vercel/cosmosdb-server not found: npm install --save-dev @vercel/cosmosdb-server');
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.['cosmosdb-server'];
  const cli = path.join(path.dirname(manifestPath), bin ?? 'lib/cli.js');
  if (!fs.existsSync(cli)) throw new Error(`cosmosdb-server CLI missing at ${cli}: npm install --save-dev @vercel/cosmosdb-server`);
  return cli;
}

export async function startCosmos(): Promise<RunningEmulator> {
  const cli = cosmosCli();
  return launch({
    name: 'cosmos',
    command: process.execPath,
    args: (port) => [cli, '--no-ssl', '-p', String(port), '--host', HOST],
    isReady: async (port) => (await httpGet(port, '/')) !== undefined,
    startTimeoutMs: 20_000,
  });
}

// ---- Firestore (the Cloud SDK's own emulator launcher, Java) ----

const FIRESTORE_INSTALL = 'apt-get install google-cloud-cli google-cloud-cli-firestore-emulator (needs Java 17)';
let firestoreLauncher: Promise<string> | undefined;

function findFirestoreLauncher(): Promise<string> {
  firestoreLauncher ??= new Promise<string>((resolve, reject) => {
    if (!onPath('gcloud')) {
      reject(new Error(`gcloud not found on PATH, so the Firestore emulator is missing: ${FIRESTORE_INSTALL}`));
      return;
    }
    if (!onPath('java')) {
      reject(new Error(`java not found on PATH; the Firestore emulator needs Java 17: apt-get install openjdk-17-jre-headless`));
      return;
    }
    execFile('gcloud', ['info', '--format=value(installation.sdk_root)'], { timeout: 30_000 }, (err, stdout) => {
      if (err) {
        reject(new Error(`could not find the Cloud SDK root (gcloud info failed: ${err.message}); ${FIRESTORE_INSTALL}`));
        return;
      }
      const launcher = path.join(stdout.trim(), 'platform', 'cloud-firestore-emulator', 'cloud_firestore_emulator');
      if (!fs.existsSync(launcher)) {
        reject(new Error(`gcloud Firestore emulator not found at ${launcher}: ${FIRESTORE_INSTALL}`));
        return;
      }
      resolve(launcher);
    });
  });
  // Do not cache a failure: a later call may succeed once the SDK is installed.
  firestoreLauncher.catch(() => (firestoreLauncher = undefined));
  return firestoreLauncher;
}

/**
 * The Java emulator answers `/` long before it serves documents quickly: its first document read, commit and
 * query take seconds while the JVM warms up (measured: ~5 s on a loaded 2-core machine), which would eat the
 * adapters' 3 s deadlines. Ready therefore means "has served one of each" (over its REST API, any project).
 */
async function firestoreServes(port: number): Promise<boolean> {
  if ((await httpGet(port, '/'))?.body.trim() !== 'Ok') return false;
  const db = '/v1/projects/meshgate-warmup/databases/(default)/documents';
  const name = 'projects/meshgate-warmup/databases/(default)/documents/warmup/doc';
  const steps: Array<Parameters<typeof httpRequest>> = [
    [port, `${db}/warmup/doc`, { timeoutMs: 30_000 }],
    [port, `${db}:commit`, { method: 'POST', body: { writes: [{ update: { name, fields: { at: { integerValue: '1' } } } }] }, timeoutMs: 30_000 }],
    [port, `${db}:runQuery`, { method: 'POST', body: { structuredQuery: { from: [{ collectionId: 'warmup' }] } }, timeoutMs: 30_000 }],
  ];
  for (const step of steps) {
    const answer = await httpRequest(...step);
    if (!answer || answer.status >= 500) return false;
  }
  return true;
}

export async function startFirestore(): Promise<RunningEmulator> {
  const launcher = await findFirestoreLauncher();
  return launch({
    name: 'firestore',
    command: launcher,
    args: (port) => ['start', `--host=${HOST}`, `--port=${port}`],
    isReady: firestoreServes,
    startTimeoutMs: 90_000,
  });
}

export const startEmulator = (name: EmulatorName): Promise<RunningEmulator> =>
  name === 'moto' ? startMoto() : name === 'cosmos' ? startCosmos() : startFirestore();
