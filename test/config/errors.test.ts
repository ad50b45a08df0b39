import { parseConfig } from '../../shared/config';
import { SECRETS, at, configText, errorLines, thrown } from './fixtures';

type Mapping = Record<string, unknown>;

const linesFor = (edit: (mc: Mapping) => void, env: Record<string, string | undefined> = SECRETS): string[] =>
  errorLines(() => parseConfig(configText(edit), env));

describe('configuration errors', () => {
  it('are one validation MeshgateError listing every problem', () => {
    const error = thrown(() =>
      parseConfig(
        configText((mc) => {
          at(mc, 'providers', 'azure').subscription_id = 'not-a-uuid';
          at(mc, 'backends', 0).weight = 256;
        }),
        SECRETS,
      ),
    );

    expect(error.code).toBe('validation');
    expect(error.message).toBe(
      [
        'Invalid configuration in meshgate.yaml (2 errors):',
        'multi_cloud.providers.azure.subscription_id: expected UUID',
        'multi_cloud.backends[0].weight: must be at most 255',
      ].join('\n'),
    );
    expect(error.details).toEqual({
      source: 'meshgate.yaml',
      errors: ['multi_cloud.providers.azure.subscription_id: expected UUID', 'multi_cloud.backends[0].weight: must be at most 255'],
    });
  });

  it.each<[string, (mc: Mapping) => void, string]>([
    ['a required field', (mc) => delete at(mc, 'providers', 'aws').region, 'multi_cloud.providers.aws.region: required'],
    ['a UUID', (mc) => (at(mc, 'providers', 'azure').tenant_id = '1234'), 'multi_cloud.providers.azure.tenant_id: expected UUID'],
    [
      'an AWS region',
      (mc) => (at(mc, 'providers', 'aws').region = 'us-east'),
      'multi_cloud.providers.aws.region: expected an AWS region such as us-east-1',
    ],
    ['an account id', (mc) => (at(mc, 'providers', 'aws').account_id = '12345'), 'multi_cloud.providers.aws.account_id: expected 12 digits'],
    [
      'an unquoted account id',
      (mc) => (at(mc, 'providers', 'aws').account_id = 123456789012),
      'multi_cloud.providers.aws.account_id: expected a string (quote the value)',
    ],
    [
      'a GCP project id',
      (mc) => (at(mc, 'providers', 'gcp').project_id = 'My-Project'),
      'multi_cloud.providers.gcp.project_id: expected a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
    ],
    [
      'a Firestore emulator host',
      (mc) => (at(mc, 'providers', 'gcp', 'store').emulator_host = 'http://127.0.0.1:8080'),
      'multi_cloud.providers.gcp.store.emulator_host: expected host:port such as 127.0.0.1:8080',
    ],
    ['an enum', (mc) => (mc.default_provider = 'oracle'), 'multi_cloud.default_provider: expected one of aws, azure, gcp'],
    ['a boolean', (mc) => (mc.enabled = 'yes'), 'multi_cloud.enabled: expected a boolean'],
    ['an integer', (mc) => (mc.dns = { zone: 'example.com', record: 'mcp.example.com', ttl: 1.5 }), 'multi_cloud.dns.ttl: expected an integer'],
    ['a minimum', (mc) => (mc.health = { probe_interval_seconds: 0 }), 'multi_cloud.health.probe_interval_seconds: must be at least 1'],
    ['a mapping', (mc) => (mc.health = [1]), 'multi_cloud.health: expected a mapping'],
    ['an empty string', (mc) => (at(mc, 'providers', 'azure', 'store').database = ''), 'multi_cloud.providers.azure.store.database: must not be empty'],
    ['a URL', (mc) => (at(mc, 'backends', 1).url = 'ftp://b.example.com'), 'multi_cloud.backends[1].url: expected an http or https URL'],
    [
      'a domain name',
      (mc) => (mc.dns = { zone: 'example', record: 'mcp.example' }),
      'multi_cloud.dns.zone: expected a fully qualified domain name such as mcp.example.com',
    ],
    ['an empty list', (mc) => (mc.backends = []), 'multi_cloud.backends: must list at least 1 entry'],
    ['an unknown key', (mc) => (mc.health = { probe_intervall_seconds: 5 }), 'multi_cloud.health.probe_intervall_seconds: unknown key'],
  ])('reject %s', (_kind, edit, line) => {
    expect(linesFor(edit)).toEqual([line]);
  });

  it.each<[string, (mc: Mapping) => void, string]>([
    [
      'a backend on an unconfigured provider',
      (mc) => {
        delete at(mc, 'providers').gcp;
      },
      'multi_cloud.backends[1].provider: provider gcp is not configured under multi_cloud.providers',
    ],
    [
      'a default provider that is not configured',
      (mc) => {
        mc.default_provider = 'azure';
        delete at(mc, 'providers').azure;
      },
      'multi_cloud.default_provider: provider azure is not configured under multi_cloud.providers',
    ],
    [
      'a peer of an unconfigured provider',
      (mc) => {
        delete at(mc, 'providers').azure;
        mc.peers = { azure: 'https://peer.example.com' };
      },
      'multi_cloud.peers.azure: provider azure is not configured under multi_cloud.providers',
    ],
    ['no providers', (mc) => (mc.providers = {}), 'multi_cloud.providers: configure at least one of aws, azure, gcp'],
    [
      "a backend region of another cloud",
      (mc) => (at(mc, 'backends', 1).region = 'us-east-1'),
      'multi_cloud.backends[1].region: expected a GCP region such as us-central1',
    ],
    ['a record outside the zone', (mc) => (mc.dns = { zone: 'example.com', record: 'mcp.example.org' }), 'multi_cloud.dns.record: must be within zone example.com.'],
    ['a duplicate backend id', (mc) => (at(mc, 'backends', 1).id = 'aws-a'), 'multi_cloud.backends[1].id: duplicate backend id, first used by backends[0]'],
    ['a latitude without longitude', (mc) => (at(mc, 'backends', 0).latitude = 10), 'multi_cloud.backends[0].longitude: latitude and longitude must be set together'],
    [
      'only zero weights',
      (mc) => {
        at(mc, 'backends', 0).weight = 0;
        at(mc, 'backends', 1).weight = 0;
      },
      'multi_cloud.backends: at least one backend needs a weight above 0',
    ],
    ['a quorum above the stores', (mc) => (mc.replication = { write_quorum: 4 }), 'multi_cloud.replication.write_quorum: must be at most 3, the number of configured stores'],
    [
      'quorums that cannot overlap while a prefix is strong',
      (mc) => (mc.replication = { write_quorum: 1, read_quorum: 2 }),
      'multi_cloud.replication: write_quorum + read_quorum must exceed 3 (the number of stores) while a key prefix is strong',
    ],
    ['a probe timeout over the interval', (mc) => (mc.health = { probe_timeout_ms: 5000 }), 'multi_cloud.health.probe_timeout_ms: must be shorter than probe_interval_seconds'],
    [
      'a heartbeat that expires between probes',
      (mc) => (mc.health = { heartbeat_ttl_seconds: 5 }),
      'multi_cloud.health.heartbeat_ttl_seconds: must be longer than probe_interval_seconds',
    ],
    [
      'too short a history',
      (mc) => (mc.health = { observations_kept: 2 }),
      'multi_cloud.health.observations_kept: must be at least 3 (the larger of failure_threshold and recovery_threshold)',
    ],
  ])('reject %s', (_kind, edit, line) => {
    expect(linesFor(edit)).toEqual([line]);
  });

  it('allow quorums that cannot overlap when no prefix is strong', () => {
    const text = configText((mc) => {
      mc.replication = { write_quorum: 1, read_quorum: 1, consistency: { 'lease/': 'causal' } };
    });

    expect(parseConfig(text, SECRETS).replication).toMatchObject({ writeQuorum: 1, readQuorum: 1 });
  });

  it('name the variable and the path of a missing environment variable', () => {
    expect(linesFor(() => {}, { ...SECRETS, AWS_ACCESS_KEY_ID: undefined })).toEqual([
      'multi_cloud.providers.aws.credentials.access_key_id: environment variable AWS_ACCESS_KEY_ID is not set',
    ]);
  });

  it.each([
    ['${1BAD}', 'malformed variable reference: expected ${NAME} or ${NAME:-default}'],
    ['${}', 'malformed variable reference: expected ${NAME} or ${NAME:-default}'],
    ['${UNCLOSED', 'unterminated variable reference: missing "}"'],
  ])('reject the reference %s', (reference, reason) => {
    expect(linesFor((mc) => (at(mc, 'backends', 0).version = reference))).toEqual([`multi_cloud.backends[0].version: ${reason}`]);
  });

  it('report several problems at once, each once', () => {
    const lines = linesFor(
      (mc) => {
        at(mc, 'providers', 'aws').region = 'nowhere';
        at(mc, 'providers', 'azure').subscription_id = 'x';
        at(mc, 'backends', 0).url = '${BACKEND_URL}';
        at(mc, 'backends', 1).weight = -1;
        mc.dns = { zone: 'example.com', record: 'mcp.example.com', ttl: 0 };
        mc.surprise = true;
      },
      { ...SECRETS, AWS_SECRET_ACCESS_KEY: undefined },
    );

    expect(lines).toEqual([
      'multi_cloud.providers.aws.credentials.secret_access_key: environment variable AWS_SECRET_ACCESS_KEY is not set',
      'multi_cloud.backends[0].url: environment variable BACKEND_URL is not set',
      'multi_cloud.providers.aws.region: expected an AWS region such as us-east-1',
      'multi_cloud.providers.azure.subscription_id: expected UUID',
      'multi_cloud.dns.ttl: must be at least 1',
      'multi_cloud.backends[1].weight: must be at least 0',
      'multi_cloud.surprise: unknown key',
    ]);
  });

  it('report cross-field problems together with field problems', () => {
    const lines = linesFor((mc) => {
      at(mc, 'providers', 'azure').tenant_id = 'x';
      at(mc, 'backends', 1).id = 'aws-a';
    });

    expect(lines).toEqual([
      'multi_cloud.providers.azure.tenant_id: expected UUID',
      'multi_cloud.backends[1].id: duplicate backend id, first used by backends[0]',
    ]);
  });

  it('describe the shape of the document itself', () => {
    expect(errorLines(() => parseConfig('', {}))).toEqual(['multi_cloud: required']);
    expect(errorLines(() => parseConfig('- 1\n', {}))).toEqual(['(root): expected a mapping']);
  });
});

describe('YAML syntax errors', () => {
  it('carry the line and column', () => {
    const text = 'multi_cloud:\n  enabled: true\n  dns: zone: example.com\n';

    expect(errorLines(() => parseConfig(text, {}, 'conf/meshgate.yaml'))).toEqual([
      'conf/meshgate.yaml:3:8: Nested mappings are not allowed in compact mappings',
    ]);
  });

  it('report each broken line once', () => {
    const text = 'multi_cloud:\n  enabled: true\n  enabled: false\n  providers: {aws: {region: ${AWS_REGION}, account_id: "1"}}\n';

    expect(errorLines(() => parseConfig(text, {}))).toEqual([
      'meshgate.yaml:3:3: Map keys must be unique',
      'meshgate.yaml:4:30: Unexpected flow-map-start at node end (put values that use ${...} in quotes)',
    ]);
  });

  it('reject a second document', () => {
    expect(errorLines(() => parseConfig('a: 1\n---\nb: 2\n', {}))).toEqual(['meshgate.yaml:2:1: expected a single YAML document']);
  });

  it('report tabs used as indentation', () => {
    expect(errorLines(() => parseConfig('multi_cloud:\n\tenabled: true\n', {}))).toEqual([
      'meshgate.yaml:2:1: Tabs are not allowed as indentation',
    ]);
  });

  it('never quote the source text, which may hold a secret', () => {
    const text = 'multi_cloud:\n  providers:\n    azure:\n      store:\n        key: "literal-cosmos-key" "more-literal-key"\n';

    const error = thrown(() => parseConfig(text, {}));

    expect(error.details.errors).toEqual([expect.stringMatching(/^meshgate\.yaml:5:/)]);
    expect(error.message).not.toMatch(/literal/);
  });
});

describe('secrets', () => {
  it('never appear in errors', () => {
    const edits = (mc: Mapping) => {
      at(mc, 'providers', 'aws', 'credentials').extra = '${AWS_SECRET_ACCESS_KEY}';
      at(mc, 'providers', 'azure', 'store').endpoint = '${AZURE_COSMOS_KEY}';
      at(mc, 'providers', 'gcp').project_id = '${GCP_SERVICE_ACCOUNT_KEY}';
      at(mc, 'backends', 0).provider = '${AZURE_CLIENT_SECRET}';
      at(mc, 'backends', 1).id = '${AWS_ACCESS_KEY_ID}';
      at(mc, 'backends', 1).region = '${AZURE_CLIENT_ID}';
      mc.default_provider = '${AWS_SECRET_ACCESS_KEY}';
    };

    const error = thrown(() => parseConfig(configText(edits), SECRETS));

    expect((error.details.errors as string[]).length).toBeGreaterThanOrEqual(5);
    const reported = `${error.message}\n${JSON.stringify(error.details)}`;
    for (const secret of Object.values(SECRETS)) expect(reported).not.toContain(secret);
  });

  it('given as an interpolation default never appear in errors', () => {
    const error = thrown(() =>
      parseConfig(
        configText((mc) => {
          at(mc, 'providers', 'azure', 'store').key = '${COSMOS_KEY:-default-cosmos-secret}';
          at(mc, 'providers', 'azure', 'store').endpoint = '${COSMOS_KEY:-default-cosmos-secret}';
        }),
        SECRETS,
      ),
    );

    expect(error.details.errors).toEqual(['multi_cloud.providers.azure.store.endpoint: expected an http or https URL']);
    expect(error.message).not.toContain('default-cosmos-secret');
  });
});
