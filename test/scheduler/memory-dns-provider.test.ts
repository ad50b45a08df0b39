import { MemoryDnsProvider } from '../../shared/adapters/memory/memory-dns-provider';
import { MeshgateError } from '../../shared/core/errors';
import type { DnsProvider } from '../../shared/ports/dns-provider';
import { describeDnsProviderContract } from './dns-provider.contract';

// Compile-time conformance.
const _conforms: DnsProvider = new MemoryDnsProvider({ zone: 'example.com' });

let n = 0;
describeDnsProviderContract('MemoryDnsProvider', async () => {
  n += 1;
  const zone = `t${n}.example.com`;
  // One zone, two leaders: the provider is a handle on shared state, like two Route 53 clients.
  const provider = new MemoryDnsProvider({ zone });
  return { zone, leaderA: provider, leaderB: provider };
});

describe('MemoryDnsProvider extras', () => {
  it('keeps the fence record out of records() but in the snapshot', async () => {
    const p = new MemoryDnsProvider({ zone: 'Example.COM' });
    const out = await p.apply({ create: [], update: [], delete: [] }, { expectedTerm: 0, term: 7 });
    expect(out.status).toBe('success');
    expect(await p.currentTerm()).toBe(7);
    expect(await p.records('_meshgate-term.example.com')).toEqual([]);
    expect(p.snapshot()).toEqual([{ fqdn: '_meshgate-term.example.com.', type: 'TXT', setId: '', ttl: 60, values: ['term=7'] }]);
  });

  it('returns injected outcomes without touching the zone', async () => {
    const p = new MemoryDnsProvider({ zone: 'example.com' });
    p.injectOutcome({ status: 'retryable', error: new MeshgateError('throttled', 'Rate exceeded'), retryInMs: 1000 });
    const changes = { create: p.canonicalize([{ fqdn: 'a.example.com', type: 'A' as const, setId: 'x', weight: 1, ttl: 30, values: ['10.0.0.1'] }]), update: [], delete: [] };
    expect((await p.apply(changes)).status).toBe('retryable');
    expect(p.snapshot()).toEqual([]);
    expect((await p.apply(changes)).status).toBe('success');
  });

  it('accepts unchecked updates in upsert mode', async () => {
    const rec = { fqdn: 'a.example.com.', type: 'A' as const, setId: 'x', weight: 1, ttl: 30, values: ['10.0.0.1'] };
    const p = new MemoryDnsProvider({ zone: 'example.com', updateMode: 'upsert', records: [rec] });
    const out = await p.apply({ create: [], update: [{ old: { ...rec, weight: 42 }, next: { ...rec, weight: 2 } }], delete: [] });
    expect(out.status).toBe('success');
    expect((await p.records('a.example.com'))[0]?.weight).toBe(2);
  });

  it('reports a hand-edited fence record as internal', async () => {
    const p = new MemoryDnsProvider({ zone: 'example.com', records: [{ fqdn: '_meshgate-term.example.com', type: 'TXT', setId: '', ttl: 60, values: ['hello'] }] });
    await expect(p.currentTerm()).rejects.toMatchObject({ code: 'internal' });
  });
});
