import { stringify } from 'yaml';
import { MeshgateError } from '../../shared/core/errors';

/** Distinctive secret values, so a test can prove they never leak. */
export const SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIASECRETACCESSKEYID',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-Zq8!xT2',
  AZURE_CLIENT_ID: 'azure-client-id-7f3k',
  AZURE_CLIENT_SECRET: 'azure-client-secret-9pQ',
  AZURE_COSMOS_KEY: 'cosmos-account-key-4Lw',
  GCP_SERVICE_ACCOUNT_KEY: '{"private_key":"gcp-private-key-2Rm"}',
} as const;

type Mapping = Record<string, unknown>;

/** A small, valid `meshgate.yaml` as data; every secret comes from `${VAR}`. */
export function baseConfig(): { multi_cloud: Mapping } {
  return {
    multi_cloud: {
      default_provider: 'aws',
      providers: {
        aws: {
          region: 'us-east-1',
          account_id: '123456789012',
          credentials: { access_key_id: '${AWS_ACCESS_KEY_ID}', secret_access_key: '${AWS_SECRET_ACCESS_KEY}' },
          store: { table: 'meshgate-state' },
        },
        azure: {
          region: 'eastus',
          subscription_id: '12345678-1234-1234-1234-123456789012',
          tenant_id: '12345678-1234-1234-1234-123456789012',
          credentials: { client_id: '${AZURE_CLIENT_ID}', client_secret: '${AZURE_CLIENT_SECRET}' },
          store: { endpoint: 'https://meshgate.documents.azure.com/', key: '${AZURE_COSMOS_KEY}', database: 'meshgate', container: 'state' },
        },
        gcp: {
          region: 'us-central1',
          project_id: 'my-project-12345',
          credentials: { service_account_key: '${GCP_SERVICE_ACCOUNT_KEY}' },
          store: { collection: 'meshgate-state' },
        },
      },
      dns: { zone: 'example.com', record: 'mcp.example.com' },
      backends: [
        { id: 'aws-a', url: 'https://a.example.com/mcp', provider: 'aws', region: 'us-east-1' },
        { id: 'gcp-b', url: 'https://b.example.com/mcp', provider: 'gcp', region: 'us-central1' },
      ],
    },
  };
}

/** YAML text of `baseConfig()` after `edit` changed the `multi_cloud` mapping. */
export function configText(edit: (multiCloud: Mapping) => void = () => {}): string {
  const config = baseConfig();
  edit(config.multi_cloud);
  return stringify(config);
}

/** Reads `mapping.a.b.c` for editing in tests. */
export function at(mapping: Mapping, ...keys: (string | number)[]): Mapping {
  return keys.reduce<Mapping>((node, key) => node[key] as Mapping, mapping);
}

/** Runs `action`, expects a MeshgateError, and returns it. */
export function thrown(action: () => unknown): MeshgateError {
  try {
    action();
  } catch (err) {
    if (err instanceof MeshgateError) return err;
    throw err;
  }
  throw new Error('expected a MeshgateError, nothing was thrown');
}

/** The `<path>: <reason>` lines of a configuration error. */
export const errorLines = (action: () => unknown): string[] => thrown(action).details.errors as string[];
