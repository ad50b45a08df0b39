import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  clearConfigCache,
  getBooleanFromEnv,
  getChoiceFromEnv,
  getNumberFromEnv,
  getStringFromEnv,
  loadConfig,
  loadRuntime,
  parseConfig,
} from '../../shared/config';
import { SECRETS, at, configText, thrown } from './fixtures';

describe('typed environment getters', () => {
  it('read a string, trimmed, and treat blank as unset', () => {
    expect(getStringFromEnv('NAME', { env: { NAME: ' value ' } })).toBe('value');
    expect(getStringFromEnv('NAME', { env: { NAME: '  ' }, defaultValue: 'fallback' })).toBe('fallback');
  });

  it('name the variable when it is missing', () => {
    const error = thrown(() => getStringFromEnv('MESHGATE_X', { env: {} }));

    expect(error.code).toBe('validation');
    expect(error.message).toBe('environment variable MESHGATE_X is not set');
    expect(error.details).toEqual({ variable: 'MESHGATE_X' });
  });

  it('read numbers, and reject anything else without echoing it', () => {
    expect(getNumberFromEnv('PORT', { env: { PORT: '8080' } })).toBe(8080);
    expect(getNumberFromEnv('PORT', { env: {}, defaultValue: 3000 })).toBe(3000);
    const error = thrown(() => getNumberFromEnv('PORT', { env: { PORT: 'eighty' } }));
    expect(error.message).toBe('environment variable PORT must be a number');
  });

  it('read booleans in the usual spellings', () => {
    for (const text of ['true', 'TRUE', '1', 'yes', 'on']) expect(getBooleanFromEnv('FLAG', { env: { FLAG: text } })).toBe(true);
    for (const text of ['false', '0', 'No', 'off']) expect(getBooleanFromEnv('FLAG', { env: { FLAG: text } })).toBe(false);
    expect(getBooleanFromEnv('FLAG', { env: {}, defaultValue: false })).toBe(false);
    expect(thrown(() => getBooleanFromEnv('FLAG', { env: { FLAG: 'maybe' } })).message).toBe(
      'environment variable FLAG must be a boolean (true/false, 1/0, yes/no, on/off)',
    );
  });

  it('read one of a set of choices, ignoring case', () => {
    expect(getChoiceFromEnv('CLOUD', ['aws', 'gcp'], { env: { CLOUD: 'GCP' } })).toBe('gcp');
    expect(thrown(() => getChoiceFromEnv('CLOUD', ['aws', 'gcp'], { env: { CLOUD: 'oracle' } })).message).toBe(
      'environment variable CLOUD must be one of aws, gcp',
    );
  });
});

describe('loadRuntime', () => {
  const config = parseConfig(configText(), SECRETS);

  it('derives a per-instance node id from the cloud, its configured region and a random suffix', () => {
    const first = loadRuntime({ env: { MESHGATE_CLOUD: 'gcp' }, config });
    const second = loadRuntime({ env: { MESHGATE_CLOUD: 'gcp' }, config });

    expect(first).toEqual({ cloud: 'gcp', region: 'us-central1', nodeId: expect.stringMatching(/^gcp-us-central1-[0-9a-f]{8}$/), buildVersion: 'dev', logLevel: 'info' });
    expect(second.nodeId).not.toBe(first.nodeId);
  });

  it('takes node id, build version and log level from the environment', () => {
    const env = { MESHGATE_CLOUD: 'aws', MESHGATE_NODE_ID: 'aws-1', MESHGATE_BUILD_VERSION: '1.4.2', MESHGATE_LOG_LEVEL: 'debug' };

    expect(loadRuntime({ env, config })).toMatchObject({ nodeId: 'aws-1', buildVersion: '1.4.2', logLevel: 'debug' });
  });

  it.each([
    [{}, 'environment variable MESHGATE_CLOUD is not set'],
    [{ MESHGATE_CLOUD: 'oracle' }, 'environment variable MESHGATE_CLOUD must be one of aws, azure, gcp'],
    [{ MESHGATE_CLOUD: 'aws', MESHGATE_NODE_ID: 'aws/1' }, "environment variable MESHGATE_NODE_ID must be 1-64 letters, digits, '.', '_', ':' or '-'"],
    [{ MESHGATE_CLOUD: 'aws', MESHGATE_LOG_LEVEL: 'loud' }, 'environment variable MESHGATE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
  ])('rejects %j', (env, message) => {
    expect(thrown(() => loadRuntime({ env, config })).message).toBe(message);
  });

  it('rejects a cloud without a provider section', () => {
    const awsOnly = parseConfig(
      configText((mc) => {
        mc.providers = { aws: at(mc, 'providers', 'aws') };
        mc.backends = [at(mc, 'backends', 0)];
      }),
      SECRETS,
    );

    expect(thrown(() => loadRuntime({ env: { MESHGATE_CLOUD: 'azure' }, config: awsOnly })).message).toBe(
      'environment variable MESHGATE_CLOUD names azure, which has no provider section in meshgate.yaml',
    );
  });
});

describe('loadConfig', () => {
  let dir: string;
  const write = (name: string, version: string): string => {
    const path = join(dir, name);
    writeFileSync(path, versioned(version));
    return path;
  };
  const versioned = (version: string): string =>
    configText((mc) => {
      at(mc, 'backends', 0).version = version;
    });
  const versionOf = (options: Parameters<typeof loadConfig>[0]): string | undefined => loadConfig(options).backends[0]?.version;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshgate-config-'));
    clearConfigCache();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers MESHGATE_CONFIG_INLINE to MESHGATE_CONFIG and ./meshgate.yaml', () => {
    const named = write('named.yaml', 'from-named');
    write('meshgate.yaml', 'from-default');
    const env = { ...SECRETS, MESHGATE_CONFIG_INLINE: versioned('from-inline'), MESHGATE_CONFIG: named };

    const config = loadConfig({ env, cwd: dir });

    expect(config.backends[0]?.version).toBe('from-inline');
    expect(config.source).toBe('MESHGATE_CONFIG_INLINE');
  });

  it('prefers an explicit path to the environment', () => {
    const explicit = write('explicit.yaml', 'from-path');

    expect(versionOf({ path: explicit, env: { ...SECRETS, MESHGATE_CONFIG_INLINE: versioned('from-inline') }, cwd: dir })).toBe('from-path');
  });

  it('reads the file named by MESHGATE_CONFIG, relative to the working directory', () => {
    write('named.yaml', 'from-named');
    write('meshgate.yaml', 'from-default');

    const config = loadConfig({ env: { ...SECRETS, MESHGATE_CONFIG: 'named.yaml' }, cwd: dir });

    expect(config.backends[0]?.version).toBe('from-named');
    expect(config.source).toBe(join(dir, 'named.yaml'));
  });

  it('falls back to ./meshgate.yaml but never implicitly to the loopback meshgate.local.yaml', () => {
    write('meshgate.local.yaml', 'from-local');
    expect(() => versionOf({ env: SECRETS, cwd: dir })).toThrow(/no configuration: set MESHGATE_CONFIG_INLINE or MESHGATE_CONFIG/);

    clearConfigCache();
    write('meshgate.yaml', 'from-default');
    expect(versionOf({ env: SECRETS, cwd: dir })).toBe('from-default');
  });

  it('interpolates from the environment it is given', () => {
    write('meshgate.yaml', '${BACKEND_VERSION:-v1}');

    expect(versionOf({ env: { ...SECRETS, BACKEND_VERSION: 'v7' }, cwd: dir })).toBe('v7');
  });

  it('reads a location once per process and environment', () => {
    const path = write('meshgate.yaml', 'first');
    const env = { ...SECRETS };
    const first = loadConfig({ env, cwd: dir });
    writeFileSync(path, versioned('second'));

    expect(loadConfig({ env, cwd: dir })).toBe(first);
    expect(versionOf({ env: { ...SECRETS }, cwd: dir })).toBe('second');
    clearConfigCache();
    expect(versionOf({ env, cwd: dir })).toBe('second');
  });

  it('reports a missing file or a missing configuration', () => {
    expect(thrown(() => loadConfig({ env: { MESHGATE_CONFIG: 'absent.yaml' }, cwd: dir })).message).toBe(
      `configuration file ${join(dir, 'absent.yaml')} does not exist`,
    );
    expect(thrown(() => loadConfig({ env: {}, cwd: dir })).message).toBe(
      `no configuration: set MESHGATE_CONFIG_INLINE or MESHGATE_CONFIG, or create meshgate.yaml in ${dir}`,
    );
  });

  it('names the file in validation errors', () => {
    const path = write('meshgate.yaml', 'v1');

    expect(thrown(() => loadConfig({ env: {}, cwd: dir })).message).toMatch(new RegExp(`^Invalid configuration in ${path} \\(6 errors\\):\\n`));
  });
});
