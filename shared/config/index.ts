export * from './types';
export { DEFAULT_CONSISTENCY, parseConfig } from './schema';
export { redactConfig, redactUrl, REDACTED } from './redact';
export { formatPath, type ConfigIssue, type ConfigPath } from './issues';
export { interpolate, type Interpolated } from './interpolate';
export {
  clearConfigCache,
  getBooleanFromEnv,
  getChoiceFromEnv,
  getNumberFromEnv,
  getStringFromEnv,
  loadConfig,
  loadRuntime,
  LOG_LEVELS,
  type Env,
  type EnvReadOptions,
  type LoadConfigOptions,
  type LogLevel,
  type Runtime,
  type RuntimeOptions,
} from './env';
