/** A copy of the configuration that is safe to log: no credentials, no store key, no secrets inside URLs. */
import { pruneAndFreeze } from './freeze';
import type { AwsProviderConfig, AzureProviderConfig, GcpProviderConfig, MeshgateConfig, PeersConfig } from './types';

export const REDACTED = '[redacted]';

export function redactConfig(config: MeshgateConfig): MeshgateConfig {
  const { aws, azure, gcp } = config.providers;
  return pruneAndFreeze({
    ...config,
    providers: { aws: aws && redactAws(aws), azure: azure && redactAzure(azure), gcp: gcp && redactGcp(gcp) },
    backends: config.backends.map((backend) => ({ ...backend, url: redactUrl(backend.url) })),
    peers: redactPeers(config.peers),
  });
}

function redactAws(aws: AwsProviderConfig): AwsProviderConfig {
  return {
    ...aws,
    credentials: aws.credentials && { accessKeyId: REDACTED, secretAccessKey: REDACTED },
    endpoint: aws.endpoint && redactUrl(aws.endpoint),
  };
}

function redactAzure(azure: AzureProviderConfig): AzureProviderConfig {
  return {
    ...azure,
    credentials: azure.credentials && { clientId: REDACTED, clientSecret: REDACTED },
    store: { ...azure.store, endpoint: redactUrl(azure.store.endpoint), key: REDACTED },
  };
}

function redactGcp(gcp: GcpProviderConfig): GcpProviderConfig {
  return { ...gcp, credentials: gcp.credentials && { serviceAccountKey: REDACTED } };
}

const redactPeers = (peers: PeersConfig): PeersConfig =>
  Object.fromEntries(Object.entries(peers).map(([cloud, url]) => [cloud, url && redactUrl(url)]));

/**
 * Drops user info and query values from a URL: both can carry credentials (basic auth, an Azure Functions
 * `?code=` key, a signed token).
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return REDACTED;
  }
  if (url.username === '' && url.password === '' && url.search === '') return text;
  url.username = url.username === '' ? '' : 'redacted';
  url.password = '';
  for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, 'redacted');
  return url.toString();
}
