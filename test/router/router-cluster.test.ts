/**
 * `router.workers`: a real node:cluster of two router workers sharing one port serves requests from both
 * workers, a killed worker is replaced, and SIGTERM to the primary drains the workers (a request in flight still
 * gets its answer) and leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { resolveRouterWorkers } from '../../shared/adapters/http/router-cluster';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request on a fresh connection (node:cluster hands out connections, not requests). */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('resolveRouterWorkers', () => {
  it('takes an integer as is and "auto" as the available parallelism', () => {
    expect(resolveRouterWorkers(3)).toBe(3);
    expect(resolveRouterWorkers('auto', () => 6)).toBe(6);
    expect(resolveRouterWorkers('auto', () => 0)).toBe(1);
    expect(() => resolveRouterWorkers(0)).toThrow(/router\.workers/);
    expect(() => resolveRouterWorkers(1.5)).toThrow(/router\.workers/);
  });
});

describe('router cluster (router.workers: 2)', () => {
  let backend: Server;
  let primary: ChildProcess;
  let port = 0;
  const events: Array<Record<string, unknown>> = [];
  let exited: Promise<number | null>;

  beforeAll(async () => {
    backend = createServer((req, res) => {
      req.resume();
      if (req.url === '/slow') setTimeout(() => res.end('slow done'), 500);
      else res.end('backend ok');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    primary = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'cluster-router.ts'), origin, '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    exited = new Promise((resolve) => primary.once('exit', (code) => resolve(code)));
    let out = '';
    primary.stdout?.setEncoding('utf8');
    primary.stdout?.on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith('READY ')) port = Number(line.slice(6));
        if (line.startsWith('EVENT ')) events.push(JSON.parse(line.slice(6)) as Record<string, unknown>);
      }
    });
    await until('the cluster to listen', () => port > 0, 30_000);
  }, 40_000);

  afterAll(async () => {
    if (primary.exitCode === null) primary.kill('SIGKILL');
    for (const e of events) if (typeof e.pid === 'number' && alive(e.pid)) process.kill(e.pid, 'SIGKILL');
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  const listeningEvents = (): Array<Record<string, unknown>> => events.filter((e) => e.event === 'router.worker_listening');
  const listening = (): number[] => listeningEvents().map((e) => e.pid as number);
  const slotOf = (pid: number): number => listeningEvents().find((e) => e.pid === pid)?.worker as number;

  it('serves requests from both workers on one port', async () => {
    expect(new Set(listening()).size).toBe(2);
    const served = new Set<string>();
    for (let i = 0; i < 12; i++) served.add((await get(port, '/__worker')).body);
    expect([...served].sort()).toEqual(listening().map((pid) => `${pid} ${slotOf(pid)}.1`).sort());
    const proxied = await Promise.all(Array.from({ length: 8 }, () => get(port, '/anything')));
    expect(proxied.every((a) => a.status === 200 && a.body === 'backend ok')).toBe(true);
  });

  it('replaces a killed worker and keeps serving', async () => {
    const [victim, survivor] = listening();
    process.kill(victim as number, 'SIGKILL');
    await until('a replacement worker', () => listening().length === 3);
    const replacement = listening()[2] as number;
    expect(events.find((e) => e.event === 'router.worker_exited')).toMatchObject({ pid: victim, signal: 'SIGKILL', restartInMs: 50 });
    expect(alive(victim as number)).toBe(false);
    const served = new Set<string>();
    for (let i = 0; i < 12; i++) served.add((await get(port, '/__worker')).body);
    expect([...served].sort()).toEqual([`${survivor} ${slotOf(survivor as number)}.1`, `${replacement} ${slotOf(victim as number)}.2`].sort());
    expect((await get(port, '/')).body).toBe('backend ok');
  }, 20_000);

  it('drains on SIGTERM: the request in flight is answered, then primary and workers exit', async () => {
    const workers = listening().filter(alive);
    const inFlight = get(port, '/slow');
    await new Promise((r) => setTimeout(r, 150));
    primary.kill('SIGTERM');
    await expect(inFlight).resolves.toEqual({ status: 200, body: 'slow done' });
    await expect(exited).resolves.toBe(0);
    expect(workers.filter(alive)).toEqual([]);
    expect(events.filter((e) => e.event === 'router.worker_exited')).toHaveLength(1);
  }, 20_000);
});
