/**
 * The scheduler's composition: targets and DNS provider from the configuration, and a function set without
 * configuration failing its calls with a logged 503 instead of crashing at import.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Route53DnsProvider } from '../../shared/adapters/aws/route53-dns-provider';
import { parseConfig, type MeshgateConfig } from '../../shared/config';
import { schedulerDnsProvider, schedulerService, schedulerTargets } from '../../shared/composition/scheduler';
import { restoreEnv } from './support/server';

const local = parseConfig(readFileSync(join(__dirname, '../../meshgate.local.yaml'), 'utf8'), {}, 'meshgate.local.yaml');

describe('scheduler composition', () => {
  it('derives one target per configured cloud from its peer URL: A for IPv4, AAAA for IPv6, CNAME for a name', () => {
    expect(schedulerTargets(local)).toEqual([
      { id: 'aws', cloud: 'aws', type: 'A', values: ['127.0.0.1'], weight: 255 },
      { id: 'azure', cloud: 'azure', type: 'A', values: ['127.0.0.1'], weight: 255 },
      { id: 'gcp', cloud: 'gcp', type: 'A', values: ['127.0.0.1'], weight: 255 },
    ]);
    const hosted: Pick<MeshgateConfig, 'providers' | 'peers' | 'dns'> = {
      ...local,
      dns: { ...local.dns, weightScale: 100 },
      peers: { aws: 'https://abc123.execute-api.us-east-1.amazonaws.com', azure: 'https://meshgate-prod-eastus.azurewebsites.net/api', gcp: 'http://[2001:db8::7]:8080' },
    };
    expect(schedulerTargets(hosted).map((t) => [t.cloud, t.type, t.values[0], t.weight])).toEqual([
      ['aws', 'CNAME', 'abc123.execute-api.us-east-1.amazonaws.com', 100],
      ['azure', 'CNAME', 'meshgate-prod-eastus.azurewebsites.net', 100],
      ['gcp', 'AAAA', '2001:db8::7', 100],
    ]);
    expect(schedulerTargets({ ...local, peers: { aws: 'http://127.0.0.1:7101' } }).map((t) => t.cloud)).toEqual(['aws']);
  });

  it('writes to Route 53 when the AWS provider names a hosted zone, and refuses to start without a DNS provider', () => {
    expect(schedulerDnsProvider(local)).toBeInstanceOf(Route53DnsProvider);
    const { aws: _aws, ...others } = local.providers;
    expect(() => schedulerDnsProvider({ ...local, providers: others })).toThrow(/no DNS provider configured/);
  });

  it('fails every call with 503 unavailable when the function set has no configuration, logging why once', async () => {
    const restore = restoreEnv(['MESHGATE_CONFIG', 'MESHGATE_CONFIG_INLINE', 'MESHGATE_CLOUD']);
    delete process.env.MESHGATE_CONFIG;
    delete process.env.MESHGATE_CONFIG_INLINE;
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const request = { method: 'GET', path: '/scheduler/status', headers: {}, query: {}, body: '' };
      await expect(schedulerService.http(request)).rejects.toMatchObject({ code: 'unavailable', expose: true, message: 'this function set is misconfigured; see its logs' });
      await expect(schedulerService.tick({}, Date.now() + 60_000)).rejects.toMatchObject({ code: 'unavailable' });
      expect(stderr).toHaveBeenCalledTimes(1);
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/"event":"composition.failed"/);
    } finally {
      stderr.mockRestore();
      restore();
    }
  });
});
