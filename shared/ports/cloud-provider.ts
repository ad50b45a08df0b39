/**
 * Lifecycle operations on one cloud's meshgate function set (the seed's CloudProvider: deploy, scale,
 * metrics, costs, cleanup). Declared here; adapters arrive with the deployment work.
 */
import type { CostWindow, FocusRow } from './cost-source';

export type CloudName = 'aws' | 'azure' | 'gcp';

export interface DeploymentSpec {
  readonly functionName: string;
  readonly version: string;
  /** Path of the packaged artifact produced by `npm run package`. */
  readonly artifactPath: string;
  readonly region: string;
  readonly environment: Readonly<Record<string, string>>;
}

export interface DeploymentResult {
  readonly cloud: CloudName;
  readonly functionName: string;
  readonly version: string;
  readonly endpoint: string;
}

export interface FunctionMetrics {
  readonly invocations: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly coldStarts: number;
}

export interface CloudProvider {
  readonly cloud: CloudName;
  /** Deploys (or updates) a function; idempotent for the same spec. Errors: `unauthorized`, `validation`, `unavailable`. */
  deploy(spec: DeploymentSpec): Promise<DeploymentResult>;
  /** Sets provisioned/minimum instances; 0 releases them. Idempotent. */
  scale(functionName: string, minInstances: number): Promise<void>;
  /** Aggregated metrics over the last `windowMs`. */
  metrics(functionName: string, windowMs: number): Promise<FunctionMetrics>;
  /** Cost rows attributable to meshgate in the window. */
  costs(window: CostWindow): AsyncIterable<FocusRow[]>;
  /** Removes everything `deploy` created for `version`. Idempotent; missing resources are not an error. */
  cleanup(version: string): Promise<void>;
}
