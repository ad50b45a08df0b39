/**
 * Router benchmark (DESIGN §6): in ONE run on loopback, the same tiny Node HTTP backend reached
 *   1. directly,
 *   2. through nginx `proxy_pass` with a keepalive upstream (config generated in a temp dir, nginx in the
 *      foreground with its own pid and error log, stopped by PID),
 *   3. through the meshgate router's Node server (undici keep-alive pool),
 *   4. through the same router served by Google's functions-framework (its Express server, the router's request
 *      listener as the user function), as the GCP function set serves it,
 *   5. through nginx with `worker_processes 2` and
 *   6. through the router's Node server as a node:cluster of 2 workers (`router.workers: 2`): the same worker
 *      count on both sides, next to the one-process-each comparison of 2 and 3.
 * Throughput: wrk with fixed connections and duration (autocannon when wrk is missing), targets interleaved over
 * several rounds so machine noise spreads evenly. Added latency: the same targets at a moderate, paced load
 * (wrk with a per-connection delay; a fixed-rate Node client when wrk is missing), p50/p99 minus direct.
 * SSE: time to the first byte of an event stream, sequential requests on an otherwise idle machine.
 * Also informative: JSON-RPC POSTs to the MCP endpoint, direct and through the router, and the router use case's
 * own CPU per request without sockets (bench/support/router-bench-inproc.ts).
 * Before measuring it waits (up to MESHGATE_BENCH_QUIET_WAIT_S, checking every 30 s) for the 1-minute load
 * average to drop below MESHGATE_BENCH_QUIET_LOAD, since tail latencies on a shared machine measure the neighbours.
 * Writes bench/results/router.json. Targets: rpsRouter ≥ 0.7 × rpsNginx, p99 added ≤ 1 ms, 10 000 rps per instance.
 *
 * Knobs (environment): MESHGATE_BENCH_CONNECTIONS (32), MESHGATE_BENCH_DURATION (10 s), MESHGATE_BENCH_ROUNDS (3),
 * MESHGATE_BENCH_PACED_DELAY_MS (2), MESHGATE_BENCH_PACED_CONNECTIONS (4), MESHGATE_BENCH_QUIET_LOAD (1.5),
 * MESHGATE_BENCH_QUIET_WAIT_S (600; 0 skips the wait).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Pool } from 'undici';
import { percentile, writeResult } from './support/results';

const CONNECTIONS = Number(process.env.MESHGATE_BENCH_CONNECTIONS ?? 32);
const DURATION_S = Number(process.env.MESHGATE_BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.MESHGATE_BENCH_ROUNDS ?? 3);
const WARMUP_S = 2;
const PACED_DELAY_MS = Number(process.env.MESHGATE_BENCH_PACED_DELAY_MS ?? 2);
const PACED_CONNECTIONS = Number(process.env.MESHGATE_BENCH_PACED_CONNECTIONS ?? 4);
const SSE_SAMPLES = 300;
const QUIET_LOAD = Number(process.env.MESHGATE_BENCH_QUIET_LOAD ?? 1.5);
const QUIET_WAIT_S = Number(process.env.MESHGATE_BENCH_QUIET_WAIT_S ?? 600);
const TARGET_RATIO = 0.7;
const TARGET_P99_ADDED_MS = 1;
const TARGET_RPS_PER_INSTANCE = 10_000;

type TargetName = 'direct' | 'nginx' | 'router' | 'functionsFramework' | 'nginxWorkers2' | 'routerWorkers2';
const TARGET_NAMES: readonly TargetName[] = ['direct', 'nginx', 'router', 'functionsFramework', 'nginxWorkers2', 'routerWorkers2'];

const children: ChildProcess[] = [];
const notes: string[] = [];

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin', '/sbin'])) {
    const file = join(dir, bin);
    if (dir !== '' && existsSync(file)) return file;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a child that prints `READY <port>`; resolves with the port and the child's pid. */
function startChild(command: string, args: string[], name: string): Promise<{ port: number; pid: number | undefined }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20 s`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /READY (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), pid: child.pid });
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** CPU time (user + system) of a process and its children, ms; undefined where /proc is missing. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    let children = 0;
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const kid of kids === '' ? [] : kids.split(' ')) children += cpuMs(Number(kid)) ?? 0;
    return (ticks * 1000) / 100 + children;
  } catch {
    return undefined;
  }
}

/** CPU time of this process's waited-for children (wrk runs through spawnSync), ms. */
function waitedChildrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

interface Nginx {
  readonly pid: number | undefined;
  readonly port: number;
  stop(): void;
}

async function startNginx(backendPort: number, workerProcesses: number): Promise<Nginx | undefined> {
  const bin = which('nginx');
  if (bin === undefined) {
    notes.push('nginx not installed (apt-get install -y nginx-light): nginx baseline skipped');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'meshgate-nginx-'));
  const port = await freePort();
  const root = process.getuid?.() === 0 ? 'user root;\n' : '';
  const conf = `${root}worker_processes ${workerProcesses};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  children.push(child);
  await waitForHttp(`http://127.0.0.1:${port}/`);
  return {
    pid: child.pid,
    port,
    stop: () => {
      child.kill('SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

const WRK_REPORT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50":%d,"p99":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

function wrkScript(dir: string, name: string, extra: string): string {
  const file = join(dir, `${name}.lua`);
  writeFileSync(file, `${extra}\n${WRK_REPORT}`);
  return file;
}

function runWrk(wrk: string, url: string, connections: number, seconds: number, script: string): LoadResult {
  const threads = Math.min(2, connections);
  const r = spawnSync(wrk, ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', script, url], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  const m = /WRKJSON (\{.*\})/.exec(r.stdout ?? '');
  if (m === null) throw new Error(`wrk produced no result: ${r.stderr ?? ''}${r.stdout ?? ''}`);
  const j = JSON.parse(m[1] as string) as { requests: number; duration_us: number; p50: number; p99: number; errors: number; non2xx: number };
  return { rps: j.requests / (j.duration_us / 1e6), p50Ms: j.p50 / 1000, p99Ms: j.p99 / 1000, errors: j.errors + j.non2xx };
}

async function runAutocannon(url: string, connections: number, seconds: number, options: { overallRate?: number; method?: string; body?: string } = {}): Promise<LoadResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as (o: Record<string, unknown>) => Promise<{
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  }>;
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
    ...(options.method === undefined ? {} : { method: options.method, body: options.body, headers: { 'content-type': 'application/json' } }),
  });
  return { rps: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.non2xx };
}

/** Sequential requests to an event stream: time from sending to the first body byte, ms. */
async function sseFirstByte(origin: string, samples: number): Promise<number[]> {
  const pool = new Pool(origin, { connections: 1 });
  const times: number[] = [];
  try {
    for (let i = 0; i < samples + 20; i++) {
      const started = process.hrtime.bigint();
      const { body } = await pool.request({ path: '/sse', method: 'GET', headers: { accept: 'text/event-stream' } });
      let first: bigint | undefined;
      for await (const _chunk of body) {
        first ??= process.hrtime.bigint();
      }
      if (i >= 20 && first !== undefined) times.push(Number(first - started) / 1e6);
    }
  } finally {
    await pool.close();
  }
  return times;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Waits (bounded) for the 1-minute load average to fall below QUIET_LOAD; returns the seconds waited. */
async function waitForQuiet(): Promise<number> {
  const started = Date.now();
  while ((loadavg()[0] ?? 0) >= QUIET_LOAD && Date.now() - started < QUIET_WAIT_S * 1000) {
    console.log(`load average ${(loadavg()[0] ?? 0).toFixed(2)} >= ${QUIET_LOAD}: waiting 30 s for a quieter machine`);
    await new Promise((r) => setTimeout(r, 30_000));
  }
  return Math.round((Date.now() - started) / 1000);
}

/** The router use case's own CPU per request (no sockets), from router-bench-inproc in a fresh process. */
async function routerOwnCost(work: string): Promise<{ getNs: number; mcpPostNs: number } | null> {
  const bundle = join(work, 'router-inproc.js');
  await build({ entryPoints: [join(__dirname, 'support', 'router-bench-inproc.ts')], outfile: bundle, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
  const r = spawnSync(process.execPath, [bundle], { encoding: 'utf8', timeout: 120_000 });
  const get = /GET \/: (\d+) ns/.exec(r.stdout ?? '');
  const post = /POST \/mcp: (\d+) ns/.exec(r.stdout ?? '');
  return get === null || post === null ? null : { getNs: Number(get[1]), mcpPostNs: Number(post[1]) };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'meshgate-router-bench-'));
  const waitedForQuietS = QUIET_WAIT_S > 0 ? await waitForQuiet() : 0;
  const loadAtStart = loadavg()[0] ?? 0;
  const wrk = which('wrk');
  const tool = wrk !== undefined ? 'wrk' : 'autocannon';
  if (wrk === undefined) notes.push('wrk not installed (apt-get install -y wrk): autocannon used; it shares the CPUs with the targets');

  const backend = await startChild(process.execPath, [join(__dirname, 'support', 'router-bench-backend.js')], 'backend');
  const backendPort = backend.port;
  // The router runs as it ships: one esbuild bundle on plain node (no TypeScript loader in the process).
  const routerBundle = join(work, 'router-server.js');
  await build({ entryPoints: [join(__dirname, 'support', 'router-bench-server.ts')], outfile: routerBundle, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
  const backendOrigin = `http://127.0.0.1:${backendPort}`;
  const router = await startChild(process.execPath, [routerBundle, backendOrigin, 'node'], 'router');
  const ff = await startChild(process.execPath, [routerBundle, backendOrigin, 'functions-framework'], 'functions-framework router');
  const routerPort = router.port;
  const router2 = await startChild(process.execPath, [routerBundle, backendOrigin, 'node', '2'], 'router with 2 workers');
  const nginx = await startNginx(backendPort, 1);
  const nginx2 = nginx === undefined ? undefined : await startNginx(backendPort, 2);
  await waitForHttp(`http://127.0.0.1:${routerPort}/`);
  await waitForHttp(`http://127.0.0.1:${ff.port}/`);
  await waitForHttp(`http://127.0.0.1:${router2.port}/`);

  const targets: Array<[name: TargetName, port: number]> = [['direct', backendPort], ['router', routerPort], ['functionsFramework', ff.port]];
  if (nginx !== undefined) targets.splice(1, 0, ['nginx', nginx.port]);
  if (nginx2 !== undefined) targets.push(['nginxWorkers2', nginx2.port]);
  targets.push(['routerWorkers2', router2.port]);
  const backendPid = backend.pid;
  const proxyPid: Record<TargetName, number | undefined> = {
    direct: undefined,
    nginx: nginx?.pid,
    router: router.pid,
    functionsFramework: ff.pid,
    nginxWorkers2: nginx2?.pid,
    routerWorkers2: router2.pid,
  };
  const cpuPerRequest = Object.fromEntries(TARGET_NAMES.map((n) => [n, { proxy: [] as number[], backend: [] as number[], tool: [] as number[] }])) as Record<
    TargetName,
    { proxy: number[]; backend: number[]; tool: number[] }
  >;

  const plain = wrk !== undefined ? wrkScript(work, 'plain', '') : '';
  const paced = wrk !== undefined ? wrkScript(work, 'paced', `function delay() return ${PACED_DELAY_MS} end`) : '';
  const post = wrk !== undefined
    ? wrkScript(work, 'post', `wrk.method = "POST"\nwrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Accept"] = "application/json, text/event-stream"`)
    : '';

  const load = async (port: number, path: string, connections: number, seconds: number, kind: 'plain' | 'paced' | 'post'): Promise<LoadResult> => {
    const url = `http://127.0.0.1:${port}${path}`;
    if (wrk !== undefined) return runWrk(wrk, url, connections, seconds, kind === 'plain' ? plain : kind === 'paced' ? paced : post);
    if (kind === 'paced') return runAutocannon(url, connections, seconds, { overallRate: Math.round((connections * 1000) / (PACED_DELAY_MS + 0.3)) });
    if (kind === 'post') return runAutocannon(url, connections, seconds, { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    return runAutocannon(url, connections, seconds);
  };

  // Throughput, interleaved rounds.
  const rps = Object.fromEntries(TARGET_NAMES.map((n) => [n, [] as number[]])) as Record<TargetName, number[]>;
  const errors = Object.fromEntries(TARGET_NAMES.map((n) => [n, 0])) as Record<TargetName, number>;
  for (const [, port] of targets) await load(port, '/', CONNECTIONS, WARMUP_S, 'plain');
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, port] of targets) {
      const proxy0 = cpuMs(proxyPid[name]);
      const backend0 = cpuMs(backendPid);
      const tool0 = waitedChildrenCpuMs();
      const r = await load(port, '/', CONNECTIONS, DURATION_S, 'plain');
      const proxy1 = cpuMs(proxyPid[name]);
      const backend1 = cpuMs(backendPid);
      const tool1 = waitedChildrenCpuMs();
      const served = r.rps * DURATION_S;
      if (wrk !== undefined && tool0 !== undefined && tool1 !== undefined) cpuPerRequest[name].tool.push(((tool1 - tool0) * 1000) / served);
      if (proxy0 !== undefined && proxy1 !== undefined) cpuPerRequest[name].proxy.push(((proxy1 - proxy0) * 1000) / served);
      if (backend0 !== undefined && backend1 !== undefined) cpuPerRequest[name].backend.push(((backend1 - backend0) * 1000) / served);
      rps[name].push(r.rps);
      errors[name] += r.errors;
      console.log(`round ${round + 1} ${name}: ${Math.round(r.rps)} rps, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
    }
  }

  // Latency at a moderate, paced load.
  const latency: Record<string, LoadResult> = {};
  for (const [name, port] of targets) {
    latency[name] = await load(port, '/', PACED_CONNECTIONS, DURATION_S, 'paced');
    console.log(`paced ${name}: ${Math.round(latency[name].rps)} rps, p50 ${latency[name].p50Ms} ms, p99 ${latency[name].p99Ms} ms`);
  }

  // JSON-RPC POSTs to the MCP endpoint (parsed and checked by the router), direct vs router.
  const mcpDirect = await load(backendPort, '/mcp', CONNECTIONS, DURATION_S, 'post');
  const mcpRouter = await load(routerPort, '/mcp', CONNECTIONS, DURATION_S, 'post');
  const mcpFf = await load(ff.port, '/mcp', CONNECTIONS, DURATION_S, 'post');
  const mcpRouter2 = await load(router2.port, '/mcp', CONNECTIONS, DURATION_S, 'post');

  // Time to first SSE byte.
  const sseDirect = await sseFirstByte(`http://127.0.0.1:${backendPort}`, SSE_SAMPLES);
  const sseRouter = await sseFirstByte(`http://127.0.0.1:${routerPort}`, SSE_SAMPLES);
  const sseNginx = nginx !== undefined ? await sseFirstByte(`http://127.0.0.1:${nginx.port}`, SSE_SAMPLES) : [];
  const sseFf = await sseFirstByte(`http://127.0.0.1:${ff.port}`, SSE_SAMPLES);

  nginx?.stop();
  nginx2?.stop();
  const loadAtEnd = loadavg()[0] ?? 0;
  const ownCost = await routerOwnCost(work);
  if (Math.max(loadAtStart, loadAtEnd) > cpus().length) {
    notes.push(
      `The machine was busy with other work (1-minute load average ${loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at end, on ${cpus().length} CPUs): ` +
        'every process got a fraction of a CPU, which penalises the 3-process proxy chains most and inflates tail latencies. Re-run on an idle machine for comparable numbers.',
    );
  }

  const rpsDirect = median(rps.direct);
  const rpsNginx = nginx !== undefined ? median(rps.nginx) : null;
  const rpsRouter = median(rps.router);
  const rpsFf = median(rps.functionsFramework);
  const rpsRatioVsNginx = rpsNginx !== null ? round3(rpsRouter / rpsNginx) : null;
  const rpsNginxWorkers2 = nginx2 !== undefined ? median(rps.nginxWorkers2) : null;
  const rpsRouterWorkers2 = median(rps.routerWorkers2);
  const rpsRatioWorkers2VsNginxWorkers2 = rpsNginxWorkers2 !== null ? round3(rpsRouterWorkers2 / rpsNginxWorkers2) : null;
  const direct = latency.direct as LoadResult;
  const routerLatency = latency.router as LoadResult;
  const ffLatency = latency.functionsFramework as LoadResult;
  const addedLatencyP50Ms = round3(routerLatency.p50Ms - direct.p50Ms);
  const addedLatencyP99Ms = round3(routerLatency.p99Ms - direct.p99Ms);
  const sseFirstByteAddedMs = round3(median(sseRouter) - median(sseDirect));
  const ratioMet = rpsRatioVsNginx !== null && rpsRatioVsNginx >= TARGET_RATIO;
  const p99Met = addedLatencyP99Ms <= TARGET_P99_ADDED_MS;
  const busy = Math.max(loadAtStart, loadAtEnd) > cpus().length;
  // With the load tool saturating every CPU, throughput is bounded by the CPU a request costs the whole chain
  // (load tool + proxy + backend): the ratio of those costs estimates rpsRatioVsNginx on an idle machine.
  const chainCost = (name: TargetName): number | undefined => {
    const c = cpuPerRequest[name];
    if (c.proxy.length === 0 || c.backend.length === 0 || c.tool.length === 0) return undefined;
    return median(c.proxy) + median(c.backend) + median(c.tool);
  };
  const nginxChain = chainCost('nginx');
  const routerChain = chainCost('router');
  const ffChain = chainCost('functionsFramework');
  const cpuBoundRatioEstimate = nginxChain !== undefined && routerChain !== undefined ? round3(nginxChain / routerChain) : null;
  notes.push(
    busy
      ? `Targets (machine busy, so judged from CPU per request): rpsRatioVsNginx >= ${TARGET_RATIO}: ` +
          `${cpuBoundRatioEstimate === null ? 'inconclusive' : cpuBoundRatioEstimate >= TARGET_RATIO ? 'met' : 'NOT met'} ` +
          `(CPU-bound estimate ${cpuBoundRatioEstimate ?? 'n/a'}, measured ${rpsRatioVsNginx ?? 'n/a'}); p99 added <= ${TARGET_P99_ADDED_MS} ms: inconclusive (measured ${addedLatencyP99Ms} ms).`
      : `Targets: rpsRatioVsNginx >= ${TARGET_RATIO}: ${rpsRatioVsNginx === null ? 'not measured' : ratioMet ? 'met' : 'NOT met'}; ` +
          `p99 added <= ${TARGET_P99_ADDED_MS} ms: ${p99Met ? 'met' : 'NOT met'}.`,
    'cpuBoundRatioEstimate: (load tool + nginx + backend CPU per request) / (load tool + router + backend CPU per request), the throughput ratio expected when the CPUs are the bottleneck.',
    `Throughput: ${tool}, ${CONNECTIONS} connections, ${DURATION_S} s per target, median of ${ROUNDS} interleaved rounds after a ${WARMUP_S} s warm-up; GET / with a 37-byte JSON body.`,
    `Latency: ${tool === 'wrk' ? `wrk, ${PACED_CONNECTIONS} connections each pausing ${PACED_DELAY_MS} ms between requests` : `autocannon at a fixed overall rate (1 ms histogram resolution)`}; added = router minus direct at the same percentile.`,
    'detail.cpuMicrosPerRequest: CPU time per request of the proxy process (nginx: master + worker) and of the backend during the throughput runs; it depends far less on other load than rps does.',
    'One process each for the required keys, so one core of work each: backend (Node http), router (esbuild bundle on node: Node http + undici Pool), the same router under functions-framework (Express), nginx (worker_processes 1, keepalive upstream, access_log off; the router writes no access log either). All share the machine with the load tool.',
    'Two workers each (nginxWorkers2: worker_processes 2; routerWorkers2: router.workers 2, a node:cluster primary handing connections round robin to 2 router processes): ' +
      `rpsRatioWorkers2VsNginxWorkers2 compares the same worker count. On ${cpus().length} CPUs shared with the backend (one Node process) and the load tool, a second worker cannot add a core's worth: ` +
      'scalingRouterWorkers2 / scalingNginxWorkers2 are each one\'s 2-worker rps over its 1-process rps. rpsRatioVsNginx stays one process each.',
    `rpsPerInstanceTarget ${TARGET_RPS_PER_INSTANCE}: the router's throughput here is with the load tool and the backend on the same 2 CPUs; its capacity on a core of its own is about 1e6 / its CPU µs per request (routerCoreCapacityRps).`,
  );
  if (TARGET_NAMES.some((n) => errors[n] !== 0)) notes.push(`errors/non-2xx during throughput runs: ${JSON.stringify(errors)}`);
  const cpuMedian = (name: TargetName): number | null => (cpuPerRequest[name].proxy.length === 0 ? null : median(cpuPerRequest[name].proxy));
  const routerCpu = cpuMedian('router');

  writeResult('router', {
    rpsDirect: Math.round(rpsDirect),
    rpsNginx: rpsNginx === null ? null : Math.round(rpsNginx),
    rpsRouter: Math.round(rpsRouter),
    rpsRatioVsNginx,
    rpsRouterWorkers2: Math.round(rpsRouterWorkers2),
    rpsNginxWorkers2: rpsNginxWorkers2 === null ? null : Math.round(rpsNginxWorkers2),
    rpsRatioWorkers2VsNginxWorkers2,
    scalingRouterWorkers2: round3(rpsRouterWorkers2 / rpsRouter),
    scalingNginxWorkers2: rpsNginxWorkers2 === null || rpsNginx === null ? null : round3(rpsNginxWorkers2 / rpsNginx),
    rpsRouterFunctionsFramework: Math.round(rpsFf),
    rpsRatioFunctionsFrameworkVsNginx: rpsNginx !== null ? round3(rpsFf / rpsNginx) : null,
    addedLatencyP50Ms,
    addedLatencyP99Ms,
    sseFirstByteAddedMs,
    sseFirstByteAddedFunctionsFrameworkMs: round3(median(sseFf) - median(sseDirect)),
    cpuMicrosPerRequestRouter: routerCpu === null ? null : Math.round(routerCpu),
    cpuMicrosPerRequestNginx: cpuMedian('nginx') === null ? null : Math.round(cpuMedian('nginx') as number),
    cpuMicrosPerRequestRouterWorkers2: cpuMedian('routerWorkers2') === null ? null : Math.round(cpuMedian('routerWorkers2') as number),
    cpuMicrosPerRequestNginxWorkers2: cpuMedian('nginxWorkers2') === null ? null : Math.round(cpuMedian('nginxWorkers2') as number),
    routerCoreCapacityRps: routerCpu === null ? null : Math.round(1e6 / routerCpu),
    tool,
    connections: CONNECTIONS,
    durationSeconds: DURATION_S,
    // null = not measured, or inconclusive because the machine was busy (see notes).
    targetsMet: {
      rpsRatioVsNginx: rpsRatioVsNginx === null ? null : busy ? (cpuBoundRatioEstimate === null ? null : cpuBoundRatioEstimate >= TARGET_RATIO) : ratioMet,
      addedLatencyP99: busy ? null : p99Met,
      rpsPerInstance: rpsRouter >= TARGET_RPS_PER_INSTANCE,
      // The same target for one router instance running router.workers: 2 (one deployment unit, two processes).
      rpsPerInstanceWorkers2: rpsRouterWorkers2 >= TARGET_RPS_PER_INSTANCE,
      rpsRatioWorkers2VsNginxWorkers2: rpsRatioWorkers2VsNginxWorkers2 === null || busy ? null : rpsRatioWorkers2VsNginxWorkers2 >= TARGET_RATIO,
    },
    cpuBoundRatioEstimate,
    cpuBoundRatioEstimateFunctionsFramework: nginxChain !== undefined && ffChain !== undefined ? round3(nginxChain / ffChain) : null,
    detail: {
      loadAverage1m: { start: Math.round(loadAtStart * 10) / 10, end: Math.round(loadAtEnd * 10) / 10, waitedForQuietSeconds: waitedForQuietS },
      rounds: Object.fromEntries(TARGET_NAMES.map((n) => [n, rps[n].map(Math.round)])),
      paced: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, { rps: Math.round(v.rps), p50Ms: round3(v.p50Ms), p99Ms: round3(v.p99Ms) }])),
      cpuMicrosPerRequest: Object.fromEntries(
        Object.entries(cpuPerRequest)
          .filter(([, v]) => v.backend.length > 0)
          .map(([k, v]) => [k, { proxy: v.proxy.length === 0 ? null : Math.round(median(v.proxy)), backend: Math.round(median(v.backend)), loadTool: v.tool.length === 0 ? null : Math.round(median(v.tool)) }]),
      ),
      addedLatencyNginxP50Ms: latency.nginx === undefined ? null : round3(latency.nginx.p50Ms - direct.p50Ms),
      addedLatencyRouterWorkers2P50Ms: latency.routerWorkers2 === undefined ? null : round3(latency.routerWorkers2.p50Ms - direct.p50Ms),
      addedLatencyRouterWorkers2P99Ms: latency.routerWorkers2 === undefined ? null : round3(latency.routerWorkers2.p99Ms - direct.p99Ms),
      addedLatencyNginxP99Ms: latency.nginx === undefined ? null : round3(latency.nginx.p99Ms - direct.p99Ms),
      addedLatencyFunctionsFrameworkP50Ms: round3(ffLatency.p50Ms - direct.p50Ms),
      addedLatencyFunctionsFrameworkP99Ms: round3(ffLatency.p99Ms - direct.p99Ms),
      mcpPost: {
        rpsDirect: Math.round(mcpDirect.rps),
        rpsRouter: Math.round(mcpRouter.rps),
        rpsFunctionsFramework: Math.round(mcpFf.rps),
        rpsRouterWorkers2: Math.round(mcpRouter2.rps),
        routerP99Ms: round3(mcpRouter.p99Ms),
      },
      sseFirstByteMs: {
        direct: round3(median(sseDirect)),
        router: round3(median(sseRouter)),
        functionsFramework: round3(median(sseFf)),
        nginx: sseNginx.length === 0 ? null : round3(median(sseNginx)),
        routerP99: round3(percentile(sseRouter, 99)),
      },
      routerOwnCpuNsPerRequest: ownCost,
    },
    notes,
  });
  rmSync(work, { recursive: true, force: true });
}

function stopChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(stopChildren);
