import { randomBytes } from 'node:crypto';
/**
 * The only place meshgate reads the process environment: typed getters that throw a `validation`
 * MeshgateError naming the variable, the runtime identity of this function set, and `loadConfig`.
 * Error messages name variables, never their values.
 */
import { readFileSync, existsSync } from 'fs';
import { resolve } from 'path';
import { MeshgateError } from '../core/errors';
import type { Env } from './interpolate';
import { parseConfig } from './schema';
import { CLOUDS, type CloudName, type MeshgateConfig } from './types';

export type { Env };

export interface EnvReadOptions<T> {
  /** Defaults to `process.env`. */
  readonly env?: Env;
  /** Used when the variable is unset or blank; without it such a variable is an error. */
  readonly defaultValue?: T;
}

const envError = (name: string, problem: string): MeshgateError =>
  new MeshgateError('validation', `environment variable ${name} ${problem}`, { details: { variable: name } });

/** Blank counts as unset: consoles of serverless platforms make it easy to save an empty value. */
function readVariable(name: string, env: Env): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function readTyped<T>(
  name: string,
  options: EnvReadOptions<T>,
  parse: (text: string) => T | undefined,
  expected: string,
): T {
  const text = readVariable(name, options.env ?? process.env);
  if (text === undefined) {
    if (options.defaultValue !== undefined) return options.defaultValue;
    throw envError(name, 'is not set');
  }
  const value = parse(text);
  if (value === undefined) throw envError(name, `must be ${expected}`);
  return value;
}

export const getStringFromEnv = (name: string, options: EnvReadOptions<string> = {}): string =>
  readTyped(name, options, (text) => text, 'a string');

const parseNumber = (text: string): number | undefined => (Number.isFinite(Number(text)) ? Number(text) : undefined);

export const getNumberFromEnv = (name: string, options: EnvReadOptions<number> = {}): number =>
  readTyped(name, options, parseNumber, 'a number');

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  true: true, '1': true, yes: true, on: true,
  false: false, '0': false, no: false, off: false,
};

export const getBooleanFromEnv = (name: string, options: EnvReadOptions<boolean> = {}): boolean =>
  readTyped(name, options, (text) => BOOLEAN_WORDS[text.toLowerCase()], 'a boolean (true/false, 1/0, yes/no, on/off)');

/** One of `choices`, compared case-insensitively. */
export function getChoiceFromEnv<T extends string>(name: string, choices: readonly T[], options: EnvReadOptions<T> = {}): T {
  const parse = (text: string): T | undefined => choices.find((choice) => choice === text.toLowerCase());
  return readTyped(name, options, parse, `one of ${choices.join(', ')}`);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Who this process is: the cloud it runs on, its region and HLC node id, its build and log level. */
export interface Runtime {
  /** `MESHGATE_CLOUD`. */
  readonly cloud: CloudName;
  /** The region of `providers.<cloud>` in the configuration. */
  readonly region: string;
  /** `MESHGATE_NODE_ID`, default `<cloud>-<region>`; the HLC node id of this function set's writes. */
  readonly nodeId: string;
  /** `MESHGATE_BUILD_VERSION`, default `dev`. */
  readonly buildVersion: string;
  /** `MESHGATE_LOG_LEVEL`, default `info`. */
  readonly logLevel: LogLevel;
}

export interface RuntimeOptions {
  readonly env?: Env;
  /** Defaults to `loadConfig({ env })`. */
  readonly config?: MeshgateConfig;
}

// Must match the HLC node format in shared/core/hlc.ts.
const NODE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * `<cloud>-<region>-<random>`: every instance (Lambda sandbox, Azure worker, Cloud Functions instance) gets its
 * own id, so two instances of one region never write identical HLC versions or share a lease identity.
 */
function defaultNodeId(cloud: string, region: string): string {
  return `${cloud}-${region}-${randomBytes(4).toString('hex')}`;
}

export function loadRuntime(options: RuntimeOptions = {}): Runtime {
  const env = options.env ?? process.env;
  const cloud = getChoiceFromEnv('MESHGATE_CLOUD', CLOUDS, { env });
  const config = options.config ?? loadConfig({ env });
  const provider = config.providers[cloud];
  if (provider === undefined) {
    throw envError('MESHGATE_CLOUD', `names ${cloud}, which has no provider section in ${config.source}`);
  }
  const nodeId = getStringFromEnv('MESHGATE_NODE_ID', { env, defaultValue: defaultNodeId(cloud, provider.region) });
  if (!NODE_ID.test(nodeId)) throw envError('MESHGATE_NODE_ID', "must be 1-64 letters, digits, '.', '_', ':' or '-'");
  return Object.freeze({
    cloud,
    region: provider.region,
    nodeId,
    buildVersion: getStringFromEnv('MESHGATE_BUILD_VERSION', { env, defaultValue: 'dev' }),
    logLevel: getChoiceFromEnv('MESHGATE_LOG_LEVEL', LOG_LEVELS, { env, defaultValue: 'info' }),
  });
}

export interface LoadConfigOptions {
  /** A file to read; wins over the environment. Relative to `cwd`. */
  readonly path?: string;
  /** Variables for `MESHGATE_CONFIG*` and for `${VAR}` interpolation. Defaults to `process.env`. */
  readonly env?: Env;
  /** Base for relative paths. Defaults to `process.cwd()`. */
  readonly cwd?: string;
}

type ConfigLocation = { readonly kind: 'inline'; readonly text: string } | { readonly kind: 'file'; readonly path: string };

let cache = new WeakMap<Env, Map<string, MeshgateConfig>>();

/**
 * Loads the configuration, once per process for a given environment and location. Looks, in order, at
 * `options.path`, `MESHGATE_CONFIG_INLINE` (the YAML itself, for platforms where shipping a file is
 * awkward), the file named by `MESHGATE_CONFIG`, then `./meshgate.yaml`. The loopback configuration
 * `meshgate.local.yaml` is never picked up implicitly, so a deployment missing its file fails loudly instead of
 * quietly running against loopback addresses; `npm start` names it in `MESHGATE_CONFIG`.
 */
export function loadConfig(options: LoadConfigOptions = {}): MeshgateConfig {
  const env = options.env ?? process.env;
  const location = locateConfig(options.path, env, options.cwd ?? process.cwd());
  const key = location.kind === 'inline' ? `inline:${location.text}` : `file:${location.path}`;
  const perEnv = cache.get(env) ?? new Map<string, MeshgateConfig>();
  cache.set(env, perEnv);
  const cached = perEnv.get(key);
  if (cached !== undefined) return cached;
  const config =
    location.kind === 'inline'
      ? parseConfig(location.text, env, 'MESHGATE_CONFIG_INLINE')
      : parseConfig(readConfigFile(location.path), env, location.path);
  perEnv.set(key, config);
  return config;
}

/** Forgets every loaded configuration (tests, or a process that must pick up a changed file). */
export function clearConfigCache(): void {
  cache = new WeakMap();
}

function locateConfig(path: string | undefined, env: Env, cwd: string): ConfigLocation {
  if (path !== undefined) return { kind: 'file', path: resolve(cwd, path) };
  const inline = env.MESHGATE_CONFIG_INLINE;
  if (inline !== undefined && inline.trim() !== '') return { kind: 'inline', text: inline };
  const named = readVariable('MESHGATE_CONFIG', env);
  if (named !== undefined) return { kind: 'file', path: resolve(cwd, named) };
  const fallback = resolve(cwd, 'meshgate.yaml');
  if (existsSync(fallback)) return { kind: 'file', path: fallback };
  throw new MeshgateError(
    'validation',
    `no configuration: set MESHGATE_CONFIG_INLINE or MESHGATE_CONFIG, or create meshgate.yaml in ${cwd}`,
    { details: { cwd } },
  );
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const message = missing ? `configuration file ${path} does not exist` : `cannot read configuration file ${path}`;
    throw new MeshgateError(missing ? 'validation' : 'internal', message, { cause: err, details: { path } });
  }
}

export interface AwsEnvironmentCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * The credentials the AWS runtime hands a function through its environment (Lambda sets the execution role's
 * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`). Read on every call so rotated values
 * are picked up. Throws `unauthorized` naming the missing variable (never a value) when they are absent.
 */
export function awsCredentialsFromEnv(env: Env = process.env): AwsEnvironmentCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    const missing = !accessKeyId ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
    throw new MeshgateError('unauthorized', `no AWS credentials: set multi_cloud.providers.aws.credentials or ${missing}`);
  }
  const sessionToken = env.AWS_SESSION_TOKEN;
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}
