/**
 * The router's composition: options from the `router:` section, and health fed from the observations the
 * health functions store (a quorum of fresh observers failing marks a backend down; this cloud's own latency).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { parseConfig, type MeshgateConfig, type Runtime } from '../../shared/config';
import { backendTargetId, observationKey } from '../../shared/core/health/keys';
import { foldObservation, observationToJson, type ObservationRecord } from '../../shared/core/health/observation';
import type { Clock } from '../../shared/ports/clock';
import type { Logger } from '../../shared/ports/logger';
import { buildRouter, type RouterService } from '../../shared/composition/router';

const yaml = readFileSync(join(__dirname, '../../meshgate.local.yaml'), 'utf8');
const config: MeshgateConfig = parseConfig(yaml, {}, 'meshgate.local.yaml');
const runtime: Runtime = { cloud: 'aws', region: 'us-east-1', nodeId: 'aws-test', buildVersion: 'test', logLevel: 'silent' };
const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };
const NOW = 1_800_000_000_000;
const clockAt = (now: () => number): Clock => ({ now, sleep: async () => undefined });

/** An observer's record of a backend after `samples` probes, newest last. */
function record(backendId: string, observer: string, samples: readonly { ok: boolean; latencyMs?: number; at?: number }[]): ObservationRecord {
  return samples.reduce<ObservationRecord | undefined>(
    (prev, s, i) => foldObservation(prev, observer, backendTargetId(backendId), { at: s.at ?? NOW - (samples.length - i) * 1000, ok: s.ok, latencyMs: s.latencyMs ?? 10, status: s.ok ? 200 : null }, 20),
    undefined,
  )!;
}

async function observe(store: MemoryStateStore, r: ObservationRecord): Promise<void> {
  await store.put(observationKey(r.target, r.observer), observationToJson(r));
}

let service: RouterService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

describe('router composition', () => {
  it('takes the router options from the configuration', () => {
    service = buildRouter({ config, runtime, store: new MemoryStateStore(), clock: clockAt(() => NOW), logger: silent }, { refresh: false });
    expect(service.router.maxBodyBytes).toBe(1024 * 1024);
    expect(service.router.snapshot().mcp.backends.map((b) => b.id)).toEqual(['aws-demo', 'azure-demo', 'gcp-demo']);
  });

  it('marks a backend down while two fresh observers report failure_threshold failures, and keeps the own latency', async () => {
    const store = new MemoryStateStore();
    service = buildRouter({ config, runtime, store, clock: clockAt(() => NOW), logger: silent }, { refresh: false });
    const down = [{ ok: true }, { ok: false }, { ok: false }];
    await observe(store, record('azure-demo', 'aws', down));
    await observe(store, record('azure-demo', 'gcp', down));
    // One observer alone does not fail a backend over.
    await observe(store, record('gcp-demo', 'azure', down));
    await observe(store, record('gcp-demo', 'aws', [{ ok: true, latencyMs: 42 }]));
    // Stale records (older than three probe intervals) do not count.
    const stale = NOW - 60_000;
    await observe(store, record('aws-demo', 'azure', [{ ok: false, at: stale - 1 }, { ok: false, at: stale }]));
    await observe(store, record('aws-demo', 'gcp', [{ ok: false, at: stale - 1 }, { ok: false, at: stale }]));

    await service.refreshHealth();

    const byId = Object.fromEntries(service.router.snapshot().mcp.backends.map((b) => [b.id, b]));
    expect(byId['azure-demo']?.healthy).toBe(false);
    expect(byId['gcp-demo']?.healthy).toBe(true);
    expect(byId['gcp-demo']?.latencyEwmaMs).toBe(42);
    expect(byId['aws-demo']?.healthy).toBe(true);
  });

  it('brings a backend back once the observers stop reporting failures', async () => {
    const store = new MemoryStateStore();
    service = buildRouter({ config, runtime, store, clock: clockAt(() => NOW), logger: silent }, { refresh: false });
    await observe(store, record('azure-demo', 'aws', [{ ok: false }, { ok: false }]));
    await observe(store, record('azure-demo', 'gcp', [{ ok: false }, { ok: false }]));
    await service.refreshHealth();
    expect(service.router.snapshot().mcp.backends.find((b) => b.id === 'azure-demo')?.healthy).toBe(false);

    await observe(store, record('azure-demo', 'aws', [{ ok: false }, { ok: false }, { ok: true }]));
    await service.refreshHealth();
    expect(service.router.snapshot().mcp.backends.find((b) => b.id === 'azure-demo')?.healthy).toBe(true);
  });

  it('counts a backend healthy again when its observers have gone quiet', async () => {
    const store = new MemoryStateStore();
    let now = NOW;
    service = buildRouter({ config, runtime, store, clock: clockAt(() => now), logger: silent }, { refresh: false });
    await observe(store, record('azure-demo', 'aws', [{ ok: false }, { ok: false }]));
    await observe(store, record('azure-demo', 'gcp', [{ ok: false }, { ok: false }]));
    await service.refreshHealth();
    expect(service.router.snapshot().mcp.backends.find((b) => b.id === 'azure-demo')?.healthy).toBe(false);

    now += 60_000;
    await service.refreshHealth();
    expect(service.router.snapshot().mcp.backends.find((b) => b.id === 'azure-demo')?.healthy).toBe(true);
  });
});
