/**
 * The health timer tick: heartbeat, peer and backend probes, observations.
 *
 * One invocation runs a sub-tick every probe interval until its window closes (the earlier of the deadline
 * minus a margin and the schedule period). Each sub-tick writes `heartbeat/<cloud>` and probes every peer
 * cloud's /health and every backend once, spread over the first half of the interval, at most
 * `probeConcurrency` at a time, never a target whose previous probe from this process is still in flight.
 * Each probe result is folded into the one observation record of (target, this cloud) and written back.
 *
 * Store and probe failures are counted and logged, never thrown: a failed tick must not make the platform
 * retry it (EventBridge async retries would break the probe budget). Only a malformed payload or deadline
 * throws (`validation`), before anything is written.
 */
import { asMeshgateError, type ErrorCode } from '../../core/errors';
import { heartbeatToJson } from '../../core/health/heartbeat';
import { backendTargetId, heartbeatKey, observationKey, peerTargetId } from '../../core/health/keys';
import {
  foldObservation,
  isFresh,
  observationToJson,
  type ObservationRecord,
  type ProbeSample,
} from '../../core/health/observation';
import { planProbes, planSubTicks, windowEnd, type PlannedProbe } from '../../core/health/schedule';
import { resolveHealthConfig, type HealthConfig, type ResolvedHealthConfig } from '../../core/health/settings';
import { assertDeadline, parseTickPayload } from '../../core/health/tick-payload';
import type { Clock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import type { ProbeClient, ProbeErrorCode, ProbeResult, ProbeTarget } from '../../ports/probe';
import type { StateStore } from '../../ports/state-store';
import { settleBy, sleepUntil, withTimeout } from './bounded';
import type { HealthIdentity } from './get-health';
import { Limiter } from './limiter';
import { readObservations } from './observations';

export interface PeerEndpoint {
  readonly cloud: string;
  /** Base URL of the peer's function set; `/health` is appended. */
  readonly url: string;
}

export interface BackendEndpoint {
  readonly id: string;
  readonly url: string;
  /** `mcp`: JSON-RPC ping over Streamable HTTP; `http`: plain GET, any status below 500 is healthy. */
  readonly transport: 'mcp' | 'http';
}

/** Per-process state that outlives one invocation (warm function instances). */
export interface HealthTickState {
  /** Targets with a probe planned or running from this process (single-flight). */
  readonly inFlight: Set<string>;
  readonly limiter: Limiter;
  /** This observer's records, by target id. */
  readonly records: Map<string, ObservationRecord>;
}

export const createHealthTickState = (probeConcurrency: number): HealthTickState => ({
  inFlight: new Set(),
  limiter: new Limiter(probeConcurrency),
  records: new Map(),
});

export interface HealthTickDeps extends HealthIdentity {
  readonly store: StateStore;
  readonly probes: ProbeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: HealthConfig;
  readonly peers: readonly PeerEndpoint[];
  readonly backends: readonly BackendEndpoint[];
  /** Uniform [0, 1) source for jitter. Default Math.random. */
  readonly random?: () => number;
  /** Shared across invocations by createHealthService; a fresh one per call otherwise. */
  readonly state?: HealthTickState;
}

export interface HealthTickReport {
  startedAt: number;
  finishedAt: number;
  isPastDue: boolean;
  subTicks: number;
  /** Probes started. */
  probes: number;
  ok: number;
  failed: number;
  /** Planned probes skipped because the target's previous probe was still in flight. */
  skippedInFlight: number;
  /** Planned probes that could not start before their sub-tick ended (waiting for a concurrency slot). */
  skippedLate: number;
  /** Probes still running when the invocation ended; told to abort, not recorded. */
  abandoned: number;
  heartbeatWrites: number;
  heartbeatFailures: number;
  observationWrites: number;
  observationWriteFailures: number;
}

/** How long probes told to abort at the end of an invocation get to settle. */
const ABORT_GRACE_MS = 100;

/** A probe shorter than this is not worth starting. */
const MIN_PROBE_TIMEOUT_MS = 50;

/** Probe targets of this observer: every peer cloud but itself, every backend. */
export function probeTargets(cloud: string, peers: readonly PeerEndpoint[], backends: readonly BackendEndpoint[]): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const peer of peers) {
    if (peer.cloud === cloud) continue;
    targets.push({ id: peerTargetId(peer.cloud), url: `${peer.url.replace(/\/+$/, '')}/health`, protocol: 'meshgate-health' });
  }
  for (const backend of backends) {
    targets.push({ id: backendTargetId(backend.id), url: backend.url, protocol: backend.transport === 'mcp' ? 'mcp' : 'http' });
  }
  return [...new Map(targets.map((t) => [t.id, t] as const)).values()];
}

export async function runHealthTick(deps: HealthTickDeps, payload: unknown, deadlineAt: number): Promise<HealthTickReport> {
  const cfg = resolveHealthConfig(deps.settings);
  const request = parseTickPayload(payload);
  const startedAt = deps.clock.now();
  assertDeadline(deadlineAt, startedAt);
  const tick = new Tick(deps, cfg, startedAt, request.isPastDue);
  return tick.run(deadlineAt, request.scheduleSeconds === undefined ? cfg.scheduleMs : request.scheduleSeconds * 1000);
}

class Tick {
  private readonly state: HealthTickState;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly targets: ReadonlyMap<string, ProbeTarget>;
  /**
   * One controller per running probe, aborted together when the invocation gives up on them (one signal
   * per probe rather than listeners piling up on a shared one).
   */
  private readonly running = new Set<AbortController>();
  private ended = false;
  private readonly loggedFailures = new Set<string>();
  readonly report: HealthTickReport;

  constructor(
    private readonly deps: HealthTickDeps,
    private readonly cfg: ResolvedHealthConfig,
    startedAt: number,
    isPastDue: boolean,
  ) {
    this.state = deps.state ?? createHealthTickState(cfg.probeConcurrency);
    this.random = deps.random ?? Math.random;
    this.logger = deps.logger.child({ usecase: 'health-tick', cloud: deps.cloud, nodeId: deps.nodeId });
    this.targets = new Map(probeTargets(deps.cloud, deps.peers, deps.backends).map((t) => [t.id, t]));
    this.report = {
      startedAt,
      finishedAt: startedAt,
      isPastDue,
      subTicks: 0,
      probes: 0,
      ok: 0,
      failed: 0,
      skippedInFlight: 0,
      skippedLate: 0,
      abandoned: 0,
      heartbeatWrites: 0,
      heartbeatFailures: 0,
      observationWrites: 0,
      observationWriteFailures: 0,
    };
  }

  async run(deadlineAt: number, scheduleMs: number): Promise<HealthTickReport> {
    const { clock } = this.deps;
    const window = {
      startAt: this.report.startedAt,
      deadlineAt,
      intervalMs: this.cfg.intervalMs,
      scheduleMs,
      deadlineMarginMs: this.cfg.deadlineMarginMs,
      probeTimeoutMs: this.cfg.probeTimeoutMs,
    };
    const subTicks = planSubTicks(window);
    const end = windowEnd(window);

    if (subTicks.length === 0) {
      // Too little time to probe: keep the heartbeat fresh if a write still fits.
      const left = deadlineAt - clock.now();
      if (left > 0) await this.writeHeartbeat(Math.min(this.cfg.storeTimeoutMs, left));
    } else {
      await this.loadRecords(Math.min(this.cfg.storeTimeoutMs, subTicks[0]!.endAt - clock.now()));
      const all: Promise<void>[] = [];
      for (const sub of subTicks) {
        await sleepUntil(clock, sub.at);
        this.report.subTicks += 1;
        const work = [this.writeHeartbeat(this.cfg.storeTimeoutMs)];
        const plan = planProbes({
          tick: sub,
          targets: [...this.targets.keys()].map((id) => ({ id, failing: (this.state.records.get(id)?.summary.consecutiveFailures ?? 0) > 0 })),
          inFlight: this.state.inFlight,
          intervalMs: this.cfg.intervalMs,
          probeTimeoutMs: this.cfg.probeTimeoutMs,
          random: this.random,
        });
        this.report.skippedInFlight += plan.skippedInFlight.length;
        for (const planned of plan.probes) {
          const target = this.targets.get(planned.targetId);
          if (target !== undefined) work.push(this.probe(target, planned));
        }
        all.push(...work);
        this.logger.debug({ event: 'health.subtick', at: sub.at, planned: plan.probes.length, skippedInFlight: plan.skippedInFlight }, 'health: sub-tick');
        await settleBy(clock, work, sub.endAt);
      }
      await settleBy(clock, all, end);
      await this.abandonRunning(all, deadlineAt);
    }
    this.report.finishedAt = clock.now();
    const level = this.report.heartbeatWrites === 0 ? 'error' : 'info';
    this.logger[level]({ event: 'health.tick', ...this.report }, 'health: tick finished');
    return this.report;
  }

  /** Stops queued probes from starting, aborts running ones and gives honest clients a moment to settle. */
  private async abandonRunning(all: readonly Promise<void>[], deadlineAt: number): Promise<void> {
    this.ended = true;
    if (this.running.size === 0) return;
    for (const controller of this.running) controller.abort();
    await settleBy(this.deps.clock, all, Math.min(deadlineAt, this.deps.clock.now() + ABORT_GRACE_MS));
  }

  private async writeHeartbeat(timeoutMs: number): Promise<void> {
    const { deps } = this;
    const heartbeat = { cloud: deps.cloud, region: deps.region, nodeId: deps.nodeId, buildVersion: deps.buildVersion, at: deps.clock.now() };
    try {
      await withTimeout(
        deps.store.put(heartbeatKey(deps.cloud), heartbeatToJson(heartbeat), { ttlMs: this.cfg.ttlMs }),
        timeoutMs,
        deps.clock,
        'heartbeat write',
      );
      this.report.heartbeatWrites += 1;
    } catch (err) {
      this.report.heartbeatFailures += 1;
      this.logFailureOnce('heartbeat', asMeshgateError(err).code);
    }
  }

  /** Picks up this observer's records written by other instances (or before a cold start). */
  private async loadRecords(timeoutMs: number): Promise<void> {
    const { deps } = this;
    const now = deps.clock.now();
    try {
      const views = await withTimeout(
        readObservations(deps.store, undefined, { nowMs: now, ttlMs: this.cfg.ttlMs }),
        Math.max(1, timeoutMs),
        deps.clock,
        'observation read',
      );
      for (const view of views) {
        if (view.observer !== deps.cloud) continue;
        const cached = this.state.records.get(view.target);
        if (cached === undefined || view.updatedAt > cached.updatedAt) {
          const { key: _key, version: _version, latest: _latest, ...record } = view;
          this.state.records.set(view.target, record);
        }
      }
    } catch (err) {
      // Not fatal: the in-process records (or fresh ones) are used.
      this.logFailureOnce('observation-read', asMeshgateError(err).code);
    }
  }

  /** One planned probe, and at most one quick re-check when it is the target's first failure (`recheckAfterFailureMs`). */
  private async probe(target: ProbeTarget, planned: PlannedProbe): Promise<void> {
    const { state, cfg } = this;
    state.inFlight.add(target.id);
    try {
      const firstFailure = await this.probeOnce(target, planned);
      const recheckAt = this.deps.clock.now() + cfg.recheckAfterFailureMs;
      if (firstFailure && cfg.recheckAfterFailureMs > 0 && planned.endAt - recheckAt >= this.minProbeTimeoutMs()) {
        await this.probeOnce(target, { ...planned, startAt: recheckAt, timeoutMs: Math.min(cfg.probeTimeoutMs, planned.endAt - recheckAt) });
      }
    } finally {
      state.inFlight.delete(target.id);
    }
  }

  /** Shortest timeout a probe may start with; a probe with less time left is skipped as late. */
  private minProbeTimeoutMs(): number {
    return Math.min(MIN_PROBE_TIMEOUT_MS, this.cfg.probeTimeoutMs);
  }

  /** Runs and records one probe; true when it failed and was the target's first failure in a row. */
  private async probeOnce(target: ProbeTarget, planned: PlannedProbe): Promise<boolean> {
    const { deps, state } = this;
    await sleepUntil(deps.clock, planned.startAt);
    const release = await state.limiter.acquire();
    const controller = new AbortController();
    let sample: ProbeSample;
    try {
      const at = deps.clock.now();
      const timeoutMs = Math.min(planned.timeoutMs, planned.endAt - at);
      if (timeoutMs < this.minProbeTimeoutMs() || this.ended) {
        this.report.skippedLate += 1;
        return false;
      }
      this.report.probes += 1;
      this.running.add(controller);
      const result = await safeProbe(deps.probes, target, timeoutMs, controller.signal, deps.clock);
      sample = { at, ...result };
    } finally {
      this.running.delete(controller);
      release();
    }
    if (controller.signal.aborted && sample.error === 'aborted') {
      this.report.abandoned += 1;
      return false;
    }
    if (sample.ok) this.report.ok += 1;
    else this.report.failed += 1;
    const failures = await this.record(target.id, sample);
    return !sample.ok && failures === 1;
  }

  /** Folds the sample into the target's record and writes it; returns the consecutive failures now counted. */
  private async record(targetId: string, sample: ProbeSample): Promise<number> {
    const { deps, cfg } = this;
    const cached = this.state.records.get(targetId);
    const prev = cached !== undefined && isFresh(cached, sample.at, cfg.ttlMs) ? cached : undefined;
    const record = foldObservation(prev, deps.cloud, targetId, sample, cfg.observationsKept);
    this.state.records.set(targetId, record);
    try {
      await withTimeout(
        deps.store.put(observationKey(targetId, deps.cloud), observationToJson(record), { ttlMs: cfg.ttlMs }),
        cfg.storeTimeoutMs,
        deps.clock,
        'observation write',
      );
      this.report.observationWrites += 1;
    } catch (err) {
      this.report.observationWriteFailures += 1;
      this.logFailureOnce('observation-write', asMeshgateError(err).code);
    }
    return record.summary.consecutiveFailures;
  }

  private logFailureOnce(what: string, code: ErrorCode): void {
    const key = `${what}:${code}`;
    if (this.loggedFailures.has(key)) return;
    this.loggedFailures.add(key);
    this.logger.warn({ event: 'health.store_failed', operation: what, code }, `health: ${what} failed`);
  }
}

const PROBE_ERRORS: ReadonlySet<string> = new Set<ProbeErrorCode>(['timeout', 'connection', 'http_status', 'bad_response', 'aborted', 'internal']);

/** Calls the client and normalises whatever comes back; a client that throws or lies yields `internal`. */
async function safeProbe(
  client: ProbeClient,
  target: ProbeTarget,
  timeoutMs: number,
  signal: AbortSignal,
  clock: Clock,
): Promise<Omit<ProbeSample, 'at'>> {
  const started = clock.now();
  let result: ProbeResult;
  try {
    result = await client.probe(target, { timeoutMs, signal });
  } catch {
    return { ok: false, latencyMs: clock.now() - started, status: null, error: 'internal' };
  }
  const latencyMs = Number.isFinite(result?.latencyMs) && result.latencyMs >= 0 ? result.latencyMs : clock.now() - started;
  const status = Number.isInteger(result?.status) ? (result.status as number) : null;
  if (result?.ok === true) return { ok: true, latencyMs, status };
  const error = typeof result?.error === 'string' && PROBE_ERRORS.has(result.error) ? result.error : 'internal';
  return { ok: false, latencyMs, status, error };
}
