/**
 * Route53DnsProvider against moto behind the strict proxy (moto alone accepts stale DELETEs, see DESIGN.md §5).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { parseConfig } from '../../shared/config';
import { schedulerDnsProvider } from '../../shared/composition/scheduler';
import { Route53DnsProvider, createRoute53DnsProvider } from '../../shared/adapters/aws/route53-dns-provider';
import { Route53RestApi } from '../../shared/adapters/aws/route53-rest-api';
import type { DnsProvider } from '../../shared/ports/dns-provider';
import { startMoto, type RunningEmulator } from '../emulators/emulators';
import { startStrictRoute53Proxy, type StrictRoute53Proxy } from '../support/strict-route53-proxy';
import { describeDnsProviderContract } from './dns-provider.contract';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let moto: RunningEmulator;
let proxy: StrictRoute53Proxy;
let admin: Route53Client;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startStrictRoute53Proxy(moto.endpoint);
  admin = new Route53Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
}, 60_000);

afterAll(async () => {
  admin?.destroy();
  await proxy?.stop();
  await moto?.stop();
});

let n = 0;
async function newZone(): Promise<{ zone: string; id: string }> {
  n += 1;
  const zone = `t${n}-${process.pid}.example.com`;
  const out = await admin.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${zone}-${Date.now()}` }));
  const id = out.HostedZone?.Id;
  if (!id) throw new Error('no hosted zone id');
  return { zone, id };
}

function provider(zone: { zone: string; id: string }): Route53DnsProvider {
  const api = new Route53RestApi({ endpoint: proxy.endpoint, credentials: async () => credentials });
  return new Route53DnsProvider(api, { hostedZoneId: zone.id, zoneName: zone.zone });
}

describeDnsProviderContract('Route53DnsProvider on moto behind the strict proxy', async () => {
  const zone = await newZone();
  // Two separate clients, as two scheduler instances in different clouds would have.
  const leaderA: DnsProvider = provider(zone);
  const leaderB: DnsProvider = provider(zone);
  return { zone: zone.zone, leaderA, leaderB };
});

describe('Route53DnsProvider on moto', () => {
  it('the stale leader is stopped by Route 53 semantics (the proxy), not by a local check', async () => {
    const zone = await newZone();
    const oldLeader = provider(zone);
    const newLeader = provider(zone);
    const rec = oldLeader.canonicalize([{ fqdn: `mcp.${zone.zone}`, type: 'A', setId: 'aws', weight: 10, ttl: 30, values: ['10.0.0.1'] }]);
    expect((await oldLeader.apply({ create: rec, update: [], delete: [] }, { expectedTerm: 0, term: 1 })).status).toBe('success');
    expect((await newLeader.apply({ create: [], update: [], delete: [] }, { expectedTerm: 1, term: 2 })).status).toBe('success');
    const rejectedBefore = proxy.rejected.length;
    const stale = await oldLeader.apply({ create: [], update: [{ old: rec[0]!, next: { ...rec[0]!, weight: 0 } }], delete: [] }, { expectedTerm: 1, term: 1 });
    expect(stale.status === 'failure' && stale.error.code).toBe('conflict');
    expect(proxy.rejected.slice(rejectedBefore)).toEqual([
      { code: 'InvalidChangeBatch', messages: expect.arrayContaining([expect.stringMatching(/_meshgate-term.*do not match/)]) },
    ]);
    expect((await newLeader.records(`mcp.${zone.zone}`))[0]?.weight).toBe(10);
  });

  it('stores TXT values quoted and reads them back unquoted; waits for INSYNC', async () => {
    const zone = await newZone();
    const p = provider(zone);
    const txt = p.canonicalize([{ fqdn: `info.${zone.zone}`, type: 'TXT', setId: '', ttl: 60, values: ['say "hi" \\ there', 'x'.repeat(300)] }]);
    const out = await p.apply({ create: txt, update: [], delete: [] });
    expect(out.status).toBe('success');
    expect(await p.records(`info.${zone.zone}`)).toEqual(txt);
    if (out.status === 'success' && out.value.changeId) {
      expect(await p.waitForInsync(out.value.changeId, { timeoutMs: 5_000, intervalMs: 50 })).toEqual({ status: 'success', value: { status: 'INSYNC' } });
    }
  });

  it('is built from the (frozen) configuration as the scheduler builds it', async () => {
    const zone = await newZone();
    const text = readFileSync(join(__dirname, '../../meshgate.local.yaml'), 'utf8');
    const config = parseConfig(text, { MESHGATE_LOCAL_MOTO_URL: proxy.endpoint, MESHGATE_LOCAL_HOSTED_ZONE_ID: zone.id.replace(/^\/hostedzone\//, '') });
    await expect(schedulerDnsProvider({ ...config, dns: { ...config.dns, zone: zone.zone } }).currentTerm()).resolves.toBe(0);
  });

  it('maps a missing hosted zone to not_found and an unreachable endpoint to retryable', async () => {
    const missing = provider({ id: '/hostedzone/ZNOSUCHZONE', zone: 'nope.example.com' });
    await expect(missing.records('mcp.nope.example.com')).rejects.toMatchObject({ code: 'not_found' });
    const down = createRoute53DnsProvider({ hostedZoneId: 'Z1', zoneName: 'example.com', endpoint: 'http://127.0.0.1:1', credentials });
    // (a client that never connected holds no socket)
    const out = await down.apply({ create: [], update: [], delete: [] }, { expectedTerm: 0, term: 1 });
    expect(out.status === 'retryable' && out.error.code).toBe('unavailable');
    await expect(down.currentTerm()).rejects.toMatchObject({ retryable: true });
  });
});
