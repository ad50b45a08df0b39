/**
 * What the scheduler keeps in the store besides the lease (`scheduler/lease`, shared/usecases/lease.ts):
 *
 * - `scheduler/verdict`: the verdict state the leader threads from one evaluation to the next, with the weights
 *   it asked for, whether the all-down alert is open, and the latest transitions. Written by the leader with
 *   compare-and-set, and never by a node whose term is older than the record's.
 * - `scheduler/plan`: the latest non-empty DNS change set a leader sent, with its outcome.
 *
 * Both live under `scheduler/`, a `strong` key space (the replicated store's default). Parsers are lenient about
 * nothing: a malformed record yields undefined and is treated as absent.
 */
import { isJsonObject, type JsonValue } from '../../core/health/json';
import type { ChangeSet, DnsRecord } from '../../core/dns-plan';
import type { TargetPhase, TargetState, Transition, VerdictState } from '../../core/verdict';

export const VERDICT_KEY = 'scheduler/verdict';
export const PLAN_KEY = 'scheduler/plan';

/** Transitions kept in the verdict record, newest first. */
export const TRANSITIONS_KEPT = 20;

export interface VerdictRecord {
  /** Lease term of the leader that wrote it. */
  readonly term: number;
  readonly node: string;
  /** Evaluation that last changed the record, epoch ms. */
  readonly updatedAt: number;
  readonly state: VerdictState;
  readonly weights: { readonly [target: string]: number };
  readonly allDown: boolean;
  /** An all-down `trigger` is in the outbox and no `resolve` yet. */
  readonly alertOpen: boolean;
  /** Newest first, at most {@link TRANSITIONS_KEPT}. */
  readonly transitions: readonly Transition[];
}

export type PlanOutcome = 'success' | 'failure' | 'retryable';

export interface PlanRecord {
  readonly term: number;
  readonly node: string;
  readonly at: number;
  readonly changes: JsonValue;
  readonly outcome: PlanOutcome;
  /** MeshgateError code of a failed or retryable outcome. */
  readonly code: string | null;
  readonly changeCount: number | null;
  readonly changeId: string | null;
  readonly attempts: number;
}

const PHASES: ReadonlySet<string> = new Set<TargetPhase>(['UP', 'DOWN', 'RECOVERING']);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): v is number | null => v === null || isNum(v);

function parseTargetState(v: unknown): TargetState | undefined {
  if (!isJsonObject(v) || typeof v.phase !== 'string' || !PHASES.has(v.phase) || !isNum(v.since)) return undefined;
  const { rampStage, stageSince, downSince, lastFailureAt } = v;
  if (!isNumOrNull(rampStage) || !isNumOrNull(stageSince) || !isNumOrNull(downSince) || !isNumOrNull(lastFailureAt)) return undefined;
  // Absent in records written before fail open restored pre-outage weights.
  const fractionBeforeDown = v.fractionBeforeDown ?? null;
  if (!isNumOrNull(fractionBeforeDown)) return undefined;
  return { phase: v.phase as TargetPhase, since: v.since, rampStage, stageSince, downSince, lastFailureAt, fractionBeforeDown };
}

function parseWeights(v: unknown): Record<string, number> | undefined {
  if (!isJsonObject(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, w] of Object.entries(v)) {
    if (!isNum(w)) return undefined;
    out[k] = w;
  }
  return out;
}

function parseVerdictState(v: unknown): VerdictState | undefined {
  if (!isJsonObject(v) || !isJsonObject(v.targets)) return undefined;
  const targets: Record<string, TargetState> = {};
  for (const [id, s] of Object.entries(v.targets)) {
    const parsed = parseTargetState(s);
    if (parsed === undefined) return undefined;
    targets[id] = parsed;
  }
  const lastKnownGood = v.lastKnownGood === null ? null : parseWeights(v.lastKnownGood);
  if (lastKnownGood === undefined) return undefined;
  return { targets, lastKnownGood };
}

function parseTransition(v: unknown): Transition | undefined {
  if (!isJsonObject(v) || typeof v.target !== 'string' || typeof v.from !== 'string' || typeof v.to !== 'string') return undefined;
  if (!PHASES.has(v.from) || !PHASES.has(v.to) || !isNumOrNull(v.rampStage) || !isNum(v.at) || typeof v.reason !== 'string') return undefined;
  return { target: v.target, from: v.from as TargetPhase, to: v.to as TargetPhase, rampStage: v.rampStage, at: v.at, reason: v.reason };
}

export function parseVerdictRecord(value: unknown): VerdictRecord | undefined {
  if (!isJsonObject(value) || value.v !== 1) return undefined;
  const { term, node, updatedAt, allDown, alertOpen } = value;
  if (!isNum(term) || !Number.isInteger(term) || typeof node !== 'string' || !isNum(updatedAt)) return undefined;
  if (typeof allDown !== 'boolean' || typeof alertOpen !== 'boolean' || !Array.isArray(value.transitions)) return undefined;
  const state = parseVerdictState(value.state);
  const weights = parseWeights(value.weights);
  const transitions = value.transitions.map(parseTransition);
  if (state === undefined || weights === undefined || transitions.some((t) => t === undefined)) return undefined;
  return { term, node, updatedAt, state, weights, allDown, alertOpen, transitions: transitions as Transition[] };
}

export function verdictRecordToJson(r: VerdictRecord): JsonValue {
  return {
    v: 1,
    term: r.term,
    node: r.node,
    updatedAt: r.updatedAt,
    state: JSON.parse(JSON.stringify(r.state)) as JsonValue,
    weights: { ...r.weights },
    allDown: r.allDown,
    alertOpen: r.alertOpen,
    transitions: r.transitions.map((t) => ({ ...t })),
  };
}

/** True when two records differ in anything but who wrote them and when. */
export function verdictChanged(a: VerdictRecord, b: VerdictRecord): boolean {
  const key = (r: VerdictRecord): string => JSON.stringify([r.state, r.weights, r.allDown, r.alertOpen]);
  return key(a) !== key(b);
}

export function parsePlanRecord(value: unknown): PlanRecord | undefined {
  if (!isJsonObject(value) || value.v !== 1) return undefined;
  const { term, node, at, changes, outcome, code, changeCount, changeId, attempts } = value;
  if (!isNum(term) || typeof node !== 'string' || !isNum(at) || !isNum(attempts)) return undefined;
  if (outcome !== 'success' && outcome !== 'failure' && outcome !== 'retryable') return undefined;
  if ((code !== null && typeof code !== 'string') || !isNumOrNull(changeCount) || (changeId !== null && typeof changeId !== 'string')) return undefined;
  return { term, node, at, changes: (changes ?? null) as JsonValue, outcome, code, changeCount, changeId, attempts };
}

export const planRecordToJson = (r: PlanRecord): JsonValue => ({ v: 1, ...r });

const brief = (r: DnsRecord): JsonValue => ({
  setId: r.setId,
  type: r.type,
  weight: r.weight ?? null,
  ttl: r.ttl,
  values: [...r.values],
});

/** A change set as audit/status JSON: per set id, what is created, deleted, or changed from → to. */
export function describeChanges(changes: ChangeSet): JsonValue {
  return {
    create: changes.create.map(brief),
    update: changes.update.map(({ old, next }) => ({ setId: next.setId, from: brief(old), to: brief(next) })),
    delete: changes.delete.map(brief),
  };
}
