import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { parseConfig } from '../../shared/config';
import { SECRETS } from './fixtures';

const ROOT = join(__dirname, '..', '..');
const read = (name: string): string => readFileSync(join(ROOT, name), 'utf8');

describe('meshgate.local.yaml', () => {
  it('parses with an empty environment into the loopback mesh', () => {
    const config = parseConfig(read('meshgate.local.yaml'), {}, 'meshgate.local.yaml');

    expect(Object.keys(config.providers)).toEqual(['aws', 'azure', 'gcp']);
    expect(config.providers.gcp?.store.emulatorHost).toBe('127.0.0.1:7203');
    const urls = [...Object.values(config.peers), ...config.backends.map((backend) => backend.url)];
    expect(urls).toHaveLength(6);
    for (const url of urls) expect(new URL(url ?? '').hostname).toBe('127.0.0.1');
    expect(config.replication).toMatchObject({ writeQuorum: 2, readQuorum: 2 });
  });

  it('lets the environment move an address', () => {
    const config = parseConfig(read('meshgate.local.yaml'), { MESHGATE_LOCAL_AWS_URL: 'http://127.0.0.1:9999' });

    expect(config.peers.aws).toBe('http://127.0.0.1:9999');
  });
});

describe('meshgate.example.yaml', () => {
  it('parses once its secrets are in the environment', () => {
    const config = parseConfig(read('meshgate.example.yaml'), SECRETS);

    expect(config.defaultProvider).toBe('aws');
    expect(config.providers.azure?.store.key).toBe(SECRETS.AZURE_COSMOS_KEY);
    expect(config.providers.aws?.dns?.hostedZoneId).toBe('Z0123456789ABCDEFGHIJ');
    expect(config.backends.map((backend) => backend.id)).toEqual(['aws-use1', 'azure-eastus', 'gcp-usc1']);
  });

  it('takes every secret from the environment', () => {
    const providers = parse(read('meshgate.example.yaml')).multi_cloud.providers;
    const secrets = [
      ...Object.values(providers.aws.credentials),
      ...Object.values(providers.azure.credentials),
      providers.azure.store.key,
      ...Object.values(providers.gcp.credentials),
    ];

    expect(secrets).toHaveLength(6);
    for (const value of secrets) expect(value).toMatch(/^\$\{[A-Z_]+\}$/);
  });
});
