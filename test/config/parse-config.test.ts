import { DEFAULT_CONSISTENCY, parseConfig, type MeshgateConfig } from '../../shared/config';
import { SECRETS, at, configText } from './fixtures';

const parse = (text: string, env: Record<string, string | undefined> = SECRETS): MeshgateConfig => parseConfig(text, env);

describe('parseConfig', () => {
  it('camelCases the file and applies every default', () => {
    const config = parse(configText());

    expect(config).toMatchObject({
      source: 'meshgate.yaml',
      enabled: true,
      defaultProvider: 'aws',
      dns: { zone: 'example.com.', record: 'mcp.example.com.', ttl: 30, weightScale: 255 },
      health: {
        probeIntervalSeconds: 5,
        probeTimeoutMs: 2000,
        probeConcurrency: 8,
        failureThreshold: 2,
        recoveryThreshold: 3,
        holdDownSeconds: 60,
        heartbeatTtlSeconds: 30,
        observationsKept: 20,
      },
      replication: { writeQuorum: 2, readQuorum: 2, consistency: DEFAULT_CONSISTENCY },
      peers: {},
    });
    expect(config.providers.aws).toEqual({
      region: 'us-east-1',
      accountId: '123456789012',
      credentials: { accessKeyId: SECRETS.AWS_ACCESS_KEY_ID, secretAccessKey: SECRETS.AWS_SECRET_ACCESS_KEY },
      store: { table: 'meshgate-state' },
    });
    expect(config.backends[0]).toEqual({
      id: 'aws-a',
      url: 'https://a.example.com/mcp',
      provider: 'aws',
      region: 'us-east-1',
      weight: 100,
      version: 'v1',
      costPerMillionRequests: 0,
      transport: 'mcp',
    });
  });

  it('freezes the result at every level', () => {
    const config = parse(configText());

    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.backends)).toBe(true);
    expect(Object.isFrozen(config.backends[0])).toBe(true);
    expect(Object.isFrozen(config.providers.aws?.credentials)).toBe(true);
    expect(Object.isFrozen(config.replication.consistency)).toBe(true);
    expect(() => {
      (config.dns as { ttl: number }).ttl = 1;
    }).toThrow(TypeError);
  });

  it('lists only configured providers as keys', () => {
    const config = parse(
      configText((mc) => {
        delete at(mc, 'providers').azure;
      }),
    );

    expect(Object.keys(config.providers)).toEqual(['aws', 'gcp']);
  });

  it('uses a majority of the stores as the default quorums', () => {
    const config = parse(
      configText((mc) => {
        mc.providers = { aws: at(mc, 'providers', 'aws') };
        mc.backends = [at(mc, 'backends', 0)];
      }),
    );

    expect(config.replication).toMatchObject({ writeQuorum: 1, readQuorum: 1 });
  });

  it('merges configured consistency over the built-in prefixes', () => {
    const config = parse(
      configText((mc) => {
        mc.replication = { consistency: { 'heartbeat/': 'strong', 'cost/': 'eventual' } };
      }),
    );

    expect(config.replication.consistency).toEqual({ ...DEFAULT_CONSISTENCY, 'heartbeat/': 'strong', 'cost/': 'eventual' });
  });

  it('reads absent credentials as "use the default chain"', () => {
    const config = parse(
      configText((mc) => {
        delete at(mc, 'providers', 'aws').credentials;
        at(mc, 'providers', 'gcp').credentials = { service_account_key: '${GCP_SERVICE_ACCOUNT_KEY:-}' };
      }),
      { ...SECRETS, GCP_SERVICE_ACCOUNT_KEY: undefined },
    );

    expect(config.providers.aws?.credentials).toBeUndefined();
    expect(config.providers.gcp?.credentials).toBeUndefined();
  });

  it('accepts and ignores the seed services blocks', () => {
    const config = parse(
      configText((mc) => {
        at(mc, 'providers', 'aws').services = { compute: 'ecs', storage: 's3', database: 'rds', monitoring: 'cloudwatch' };
      }),
    );

    expect(config.providers.aws).not.toHaveProperty('services');
  });

  it('normalises DNS names and route 53 zone ids', () => {
    const config = parse(
      configText((mc) => {
        mc.dns = { zone: 'Example.COM.', record: 'MCP.example.com' };
        at(mc, 'providers', 'aws').dns = { hosted_zone_id: '/hostedzone/Z0123ABC' };
      }),
    );

    expect(config.dns).toMatchObject({ zone: 'example.com.', record: 'mcp.example.com.' });
    expect(config.providers.aws?.dns?.hostedZoneId).toBe('Z0123ABC');
  });

  it('names the source it was given', () => {
    expect(parseConfig(configText(), SECRETS, '/etc/meshgate/meshgate.yaml').source).toBe('/etc/meshgate/meshgate.yaml');
  });
});

describe('${VAR} interpolation', () => {
  const withRecord = (record: string): string =>
    configText((mc) => {
      mc.dns = { zone: 'example.com', record };
    }).replace(`record: ${record}`, `record: "${record}"`);

  it('substitutes variables inside a longer string', () => {
    const config = parse(withRecord('${SUB}.example.com'), { ...SECRETS, SUB: 'mcp' });

    expect(config.dns.record).toBe('mcp.example.com.');
  });

  it('uses the default when the variable is unset or empty', () => {
    expect(parse(withRecord('${SUB:-api}.example.com')).dns.record).toBe('api.example.com.');
    expect(parse(withRecord('${SUB:-api}.example.com'), { ...SECRETS, SUB: '' }).dns.record).toBe('api.example.com.');
    expect(parse(withRecord('${SUB:-api}.example.com'), { ...SECRETS, SUB: 'mcp' }).dns.record).toBe('mcp.example.com.');
  });

  it('keeps $${ as a literal ${ and does not interpolate what a variable contains', () => {
    const text = configText((mc) => {
      at(mc, 'backends', 0).version = 'release-$${TAG}';
      at(mc, 'backends', 1).version = '${VERSION}';
    });

    const config = parse(text, { ...SECRETS, VERSION: '${AWS_SECRET_ACCESS_KEY}' });

    expect(config.backends[0]?.version).toBe('release-${TAG}');
    expect(config.backends[1]?.version).toBe('${AWS_SECRET_ACCESS_KEY}');
  });

  it('reads an unquoted result as YAML would have read it, and a quoted one as a string', () => {
    const text = configText((mc) => {
      mc.dns = { zone: 'example.com', record: 'mcp.example.com', ttl: 'TTL_HERE', weight_scale: 'SCALE_HERE' };
    })
      .replace('TTL_HERE', '${TTL:-45}')
      .replace('SCALE_HERE', '${SCALE}');
    const quoted = configText((mc) => {
      at(mc, 'backends', 0).version = 'VERSION_HERE';
    }).replace('VERSION_HERE', '"${VERSION}"');

    expect(parse(text, { ...SECRETS, SCALE: '100' }).dns).toMatchObject({ ttl: 45, weightScale: 100 });
    expect(parse(quoted, { ...SECRETS, VERSION: '2' }).backends[0]?.version).toBe('2');
  });

  it('reads an unquoted empty result as absent', () => {
    const text = configText((mc) => {
      at(mc, 'providers', 'aws').endpoint = 'ENDPOINT_HERE';
    }).replace('ENDPOINT_HERE', '${AWS_ENDPOINT:-}');

    expect(parse(text).providers.aws?.endpoint).toBeUndefined();
    expect(parse(text, { ...SECRETS, AWS_ENDPOINT: 'http://127.0.0.1:4566' }).providers.aws?.endpoint).toBe('http://127.0.0.1:4566');
  });

  it('leaves keys alone', () => {
    const text = configText((mc) => {
      mc.replication = { consistency: { '${PREFIX}': 'strong' } };
    });

    expect(parse(text).replication.consistency['${PREFIX}']).toBe('strong');
  });
});

describe('YAML features', () => {
  it('ignore x- keys, so they can hold anchors merged elsewhere', () => {
    const text = configText((mc) => {
      mc.backends = ['BACKENDS_HERE'];
    }).replace(
      '  backends:\n    - BACKENDS_HERE\n',
      [
        '  x-backend: &backend { provider: aws, region: us-east-1, weight: 7 }',
        '  backends:',
        '    - { <<: *backend, id: first, url: "https://a.example.com" }',
        '    - <<: *backend',
        '      id: second',
        '      url: "https://b.example.com"',
        '',
      ].join('\n'),
    );

    const config = parseConfig(text, SECRETS);

    expect(config.backends).toEqual([
      expect.objectContaining({ id: 'first', provider: 'aws', weight: 7 }),
      expect.objectContaining({ id: 'second', provider: 'aws', weight: 7 }),
    ]);
  });
});
