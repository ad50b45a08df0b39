/**
 * `npm run package [-- --stage dev --region us-east-1]`: deployable artifacts from the esbuild bundles
 * (built first when dist/ has none). Offline, and with no cloud credentials in reach.
 *
 * - AWS: `serverless package` (serverless.yml) into dist/aws/serverless/: one zip per Lambda function holding
 *   only its bundle, plus the CloudFormation templates. Deploy: `serverless deploy --package dist/aws/serverless`.
 * - Azure: dist/azure/meshgate-azure.zip = host.json + package.json (`main: index.js`, no dependencies) +
 *   the app bundle (functions/azure/index.ts). Deploy: `az functionapp deployment source config-zip --src ...`
 *   on a Node 20 app with FUNCTIONS_WORKER_RUNTIME=node.
 * - GCP: dist/gcp/<function>/ (index.js + package.json with `main` and `engines.node`, no dependencies) and
 *   dist/gcp/<function>.zip. Deploy: `gcloud functions deploy <name> --gen2 --runtime nodejs20
 *   --entry-point <export> --source dist/gcp/<function>` (one deployment per exported entry point).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildAll } from './build';
import { writeZip, type ZipEntry } from './zip';

export interface PackageOptions {
  readonly root?: string;
  readonly stage?: string;
  readonly region?: string;
  readonly log?: (line: string) => void;
}

export interface PackageResult {
  readonly aws: { readonly dir: string; readonly zips: readonly string[] };
  readonly azure: { readonly zip: string; readonly bytes: number };
  readonly gcp: readonly { readonly name: string; readonly dir: string; readonly zip: string; readonly bytes: number }[];
}

/** Variables that would let serverless (or the AWS SDK inside it) reach an account or the network. */
const CREDENTIAL_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SDK_LOAD_CONFIG'];

/**
 * The environment `serverless package` runs in: no credentials, no shared config files, no instance metadata,
 * no telemetry, update notices, interactive onboarding or dashboard.
 */
export function offlineServerlessEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of CREDENTIAL_VARS) delete env[name];
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    CI: '1',
  };
}

function argValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const arg = argv[i]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[i + 1];
}

const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

function packageAws(root: string, stage: string, region: string): PackageResult['aws'] {
  const dir = join(root, 'dist', 'aws', 'serverless');
  const cli = join(root, 'node_modules', 'serverless', 'bin', 'serverless.js');
  rmSync(dir, { recursive: true, force: true });
  const run = spawnSync(process.execPath, [cli, 'package', '--package', dir, '--stage', stage, '--region', region], {
    cwd: root,
    env: offlineServerlessEnv(process.env),
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (run.status !== 0) {
    throw new Error(`serverless package failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stdout}\n${run.stderr}`);
  }
  const zips = readdirSync(dir).filter((f) => f.endsWith('.zip')).sort().map((f) => join(dir, f));
  return { dir, zips };
}

function bundle(root: string, cloud: string, name: string): Buffer {
  const file = join(root, 'dist', cloud, name, 'index.js');
  if (!existsSync(file)) throw new Error(`missing bundle ${relative(root, file)}: run npm run build`);
  return readFileSync(file);
}

function packageAzure(root: string, version: string): PackageResult['azure'] {
  const zip = join(root, 'dist', 'azure', 'meshgate-azure.zip');
  const entries: ZipEntry[] = [
    { name: 'host.json', data: readFileSync(join(root, 'host.json')) },
    { name: 'package.json', data: json({ name: 'meshgate-azure', version, private: true, main: 'index.js', engines: { node: '>=20' } }) },
    { name: 'index.js', data: bundle(root, 'azure', 'index') },
  ];
  return { zip, bytes: writeZip(zip, entries) };
}

function packageGcp(root: string, version: string): PackageResult['gcp'] {
  const base = join(root, 'dist', 'gcp');
  const names = existsSync(base) ? readdirSync(base).filter((n) => statSync(join(base, n)).isDirectory()).sort() : [];
  return names.map((name) => {
    const dir = join(base, name);
    const manifest = json({ name: `meshgate-${name}`, version, private: true, main: 'index.js', engines: { node: '20' } });
    writeFileSync(join(dir, 'package.json'), manifest);
    // A --sourcemap build leaves index.js.map next to the bundle; keep it out of the upload.
    writeFileSync(join(dir, '.gcloudignore'), '.gcloudignore\n*.map\n');
    const zip = join(base, `${name}.zip`);
    const bytes = writeZip(zip, [
      { name: 'index.js', data: bundle(root, 'gcp', name) },
      { name: 'package.json', data: manifest },
    ]);
    return { name, dir, zip, bytes };
  });
}

export async function packageAll(options: PackageOptions = {}): Promise<PackageResult> {
  const root = options.root ?? process.cwd();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const version = String(readJson(join(root, 'package.json')).version ?? '0.0.0');
  if (!existsSync(join(root, 'dist', 'build-report.json'))) await buildAll({ root, log });

  const aws = packageAws(root, options.stage ?? 'dev', options.region ?? 'us-east-1');
  const azure = packageAzure(root, version);
  const gcp = packageGcp(root, version);

  const rel = (file: string): string => relative(root, file);
  log(`aws    ${rel(aws.dir)}/ (${aws.zips.map((z) => `${rel(z)} ${statSync(z).size} B`).join(', ')})`);
  log(`azure  ${rel(azure.zip)} ${azure.bytes} B`);
  for (const g of gcp) log(`gcp    ${rel(g.dir)}/ and ${rel(g.zip)} ${g.bytes} B`);
  return { aws, azure, gcp };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const stage = argValue(argv, 'stage');
  const region = argValue(argv, 'region');
  packageAll({ ...(stage ? { stage } : {}), ...(region ? { region } : {}) }).catch((err: unknown) => {
    process.stderr.write(`package failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
