export * from './types';
export { DEFAULT_CONSISTENCY, parseConfig } from './schema';
export { redactConfig, redactUrl, REDACTED } from './redact';
export { formatPath, type ConfigIssue, type ConfigPath } from './issues';
export { interpolate, type Interpolated } from './interpolate';
export {
  awsCredentialsFromEnv,
  clearConfigCache,
  getBooleanFromEnv,
  getChoiceFromEnv,
  getNumberFromEnv,
  getStringFromEnv,
  loadConfig,
  loadRuntime,
  LOG_LEVELS,
  type AwsEnvironmentCredentials,
  type Env,
  type EnvReadOptions,
  type LoadConfigOptions,
  type LogLevel,
  type Runtime,
  type RuntimeOptions,
} from './env';
