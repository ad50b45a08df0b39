import { REDACTED, parseConfig, redactConfig, redactUrl } from '../../shared/config';
import { SECRETS, at, configText } from './fixtures';

describe('redactConfig', () => {
  const config = parseConfig(
    configText((mc) => {
      mc.peers = { azure: 'https://meshgate.azurewebsites.net/api?code=function-key-secret' };
      at(mc, 'backends', 0).url = 'https://user:backend-password@a.example.com/mcp';
    }),
    SECRETS,
  );

  it('leaves no secret in what it returns', () => {
    const logged = JSON.stringify(redactConfig(config));

    for (const secret of [...Object.values(SECRETS), 'function-key-secret', 'backend-password']) {
      expect(logged).not.toContain(secret);
    }
  });

  it('keeps the shape and everything that is not secret', () => {
    const redacted = redactConfig(config);

    expect(redacted.providers.aws?.credentials).toEqual({ accessKeyId: REDACTED, secretAccessKey: REDACTED });
    expect(redacted.providers.azure?.store).toEqual({ ...config.providers.azure?.store, key: REDACTED });
    expect(redacted.providers.gcp?.credentials).toEqual({ serviceAccountKey: REDACTED });
    expect(redacted.peers.azure).toBe('https://meshgate.azurewebsites.net/api?code=redacted');
    expect(redacted.backends[0]?.url).toBe('https://redacted@a.example.com/mcp');
    expect({ ...redacted, providers: undefined, backends: undefined, peers: undefined }).toEqual({
      ...config,
      providers: undefined,
      backends: undefined,
      peers: undefined,
    });
  });

  it('returns a frozen copy and leaves the configuration alone', () => {
    const redacted = redactConfig(config);

    expect(Object.isFrozen(redacted.providers.azure?.store)).toBe(true);
    expect(config.providers.azure?.store.key).toBe(SECRETS.AZURE_COSMOS_KEY);
  });

  it('keeps absent credentials absent', () => {
    const withoutCredentials = parseConfig(
      configText((mc) => {
        delete at(mc, 'providers', 'aws').credentials;
      }),
      SECRETS,
    );

    expect(redactConfig(withoutCredentials).providers.aws).not.toHaveProperty('credentials');
  });
});

describe('redactUrl', () => {
  it.each([
    ['http://127.0.0.1:7101', 'http://127.0.0.1:7101'],
    ['https://u:p@host.example.com/x?sig=abc&v=1', 'https://redacted@host.example.com/x?sig=redacted&v=redacted'],
    ['not a url', REDACTED],
  ])('%s -> %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
