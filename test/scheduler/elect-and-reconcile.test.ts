/**
 * electAndReconcile over the strict in-memory store and DNS zone: election and fencing between competing
 * schedulers, the verdict driving Route 53-style weights (quorum, hold-down, slow start, fail open), alerts and
 * the audit log.
 */
import { MemoryDnsProvider } from '../../shared/adapters/memory/memory-dns-provider';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { MeshgateError } from '../../shared/core/errors';
import { DEFAULT_LEASE_CONFIG } from '../../shared/core/lease';
import { observationKey, peerTargetId } from '../../shared/core/health/keys';
import { foldObservation, observationToJson, type ObservationRecord } from '../../shared/core/health/observation';
import type { AppliedChange, ChangeSet, DnsProvider, DnsRecord, Fence } from '../../shared/ports/dns-provider';
import type { Outcome } from '../../shared/core/outcome';
import {
  ALERT_OUTBOX_PREFIX,
  VERDICT_KEY,
  createSchedulerState,
  electAndReconcile,
  parseVerdictRecord,
  readAudit,
  type ReconcileDeps,
  type ReconcileReport,
  type SchedulerDeps,
  type SchedulerTarget,
} from '../../shared/usecases/scheduler';
import { CapturingLogger } from '../health/support/fakes';
import { ManualClock } from '../support/manual-clock';

const T0 = Date.UTC(2026, 0, 1, 12);
const ZONE = 'meshgate.test';
const RECORD = 'mcp.meshgate.test.';
const CLOUDS = ['aws', 'azure', 'gcp'] as const;
type Cloud = (typeof CLOUDS)[number];
const TARGETS: SchedulerTarget[] = [
  { id: 'aws', cloud: 'aws', type: 'A', values: ['192.0.2.1'], weight: 100 },
  { id: 'azure', cloud: 'azure', type: 'A', values: ['192.0.2.2'], weight: 100 },
  { id: 'gcp', cloud: 'gcp', type: 'CNAME', values: ['gcp.example.test'], weight: 100 },
];
const INTERVAL = 5_000;

interface ApplyCall {
  readonly node: string;
  readonly fence: Fence | undefined;
  readonly status: Outcome<AppliedChange>['status'];
  readonly at: number;
}

/** One scheduler's view of the shared zone: records its calls, and can hold an apply (a paused process). */
class ProviderView implements DnsProvider {
  readonly name = 'memory';
  readonly calls = { records: 0, currentTerm: 0, apply: 0 };
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(
    private readonly inner: MemoryDnsProvider,
    private readonly node: string,
    private readonly log: ApplyCall[],
    private readonly now: () => number,
  ) {}

  records(fqdn: string): Promise<DnsRecord[]> {
    this.calls.records += 1;
    return this.inner.records(fqdn);
  }

  currentTerm(): Promise<number> {
    this.calls.currentTerm += 1;
    return this.inner.currentTerm();
  }

  async apply(changes: ChangeSet, fence?: Fence): Promise<Outcome<AppliedChange>> {
    this.calls.apply += 1;
    if (this.gate) await this.gate;
    const outcome = await this.inner.apply(changes, fence);
    this.log.push({ node: this.node, fence, status: outcome.status, at: this.now() });
    return outcome;
  }

  canonicalize(records: readonly DnsRecord[]): DnsRecord[] {
    return this.inner.canonicalize(records);
  }

  /** The next applies wait until `resume()`. */
  pause(): void {
    this.gate = new Promise<void>((resolve) => (this.openGate = resolve));
  }

  resume(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  get totalCalls(): number {
    return this.calls.records + this.calls.currentTerm + this.calls.apply;
  }
}

interface Node {
  readonly id: string;
  readonly deps: ReconcileDeps;
  readonly view: ProviderView;
  readonly clock: ManualClock;
  step(): Promise<ReconcileReport>;
}

function mesh(options: { verdict?: SchedulerDeps['verdict'] } = {}) {
  const clock = new ManualClock(T0);
  const store = new MemoryStateStore({ now: () => clock.now() });
  const zone = new MemoryDnsProvider({ zone: ZONE });
  const logger = new CapturingLogger();
  const applies: ApplyCall[] = [];
  const observations = new Map<string, ObservationRecord>();

  /** A scheduler instance; `ownClock` gives it a clock of its own (to freeze it while "paused"). */
  const node = (id: string, ownClock = false): Node => {
    const nodeClock = ownClock ? new ManualClock(clock.now()) : clock;
    const view = new ProviderView(zone, id, applies, () => clock.now());
    const base: SchedulerDeps = {
      nodeId: id,
      store,
      dnsProvider: view,
      clock: nodeClock,
      logger: logger.child({ node: id }),
      dns: { record: RECORD, ttl: 30 },
      targets: TARGETS,
      observers: [...CLOUDS],
      ...(options.verdict ? { verdict: options.verdict } : {}),
      random: () => 0.5,
    };
    const deps: ReconcileDeps = { ...base, state: createSchedulerState(base) };
    return { id, deps, view, clock: nodeClock, step: () => electAndReconcile(deps, nodeClock.now()) };
  };

  /** Every observer but the target itself probes each target once, at the current time. */
  const probeAll = async (healthy: (target: Cloud, observer: Cloud) => boolean = () => true): Promise<void> => {
    for (const target of CLOUDS) {
      for (const observer of CLOUDS) {
        if (observer === target) continue;
        const key = observationKey(peerTargetId(target), observer);
        const ok = healthy(target, observer);
        const record = foldObservation(observations.get(key), observer, peerTargetId(target), { at: clock.now(), ok, latencyMs: 12, status: ok ? 200 : null, ...(ok ? {} : { error: 'timeout' }) }, 20);
        observations.set(key, record);
        await store.put(key, observationToJson(record), { ttlMs: 30_000 });
      }
    }
  };

  const weights = async (): Promise<Record<string, number | undefined>> =>
    Object.fromEntries((await zone.records(RECORD)).map((r) => [r.setId, r.weight]));

  const outbox = async () => (await store.list(ALERT_OUTBOX_PREFIX)).map((e) => e.value as Record<string, unknown>);

  return { clock, store, zone, logger, applies, node, probeAll, weights, outbox };
}

const successfulAppliesByTerm = (applies: readonly ApplyCall[]): Map<number, Set<string>> => {
  const byTerm = new Map<number, Set<string>>();
  for (const a of applies) {
    if (a.status !== 'success' || a.fence === undefined) continue;
    const nodes = byTerm.get(a.fence.term) ?? new Set<string>();
    nodes.add(a.node);
    byTerm.set(a.fence.term, nodes);
  }
  return byTerm;
};

describe('electAndReconcile: election and fencing', () => {
  it('lets only one of three competing schedulers apply DNS per term, across takeovers', async () => {
    const m = mesh();
    const nodes = [m.node('sched-a'), m.node('sched-b'), m.node('sched-c')];
    const alive = new Set(nodes.map((n) => n.id));
    const gcpDown = (t: Cloud) => t !== 'gcp';
    for (let i = 0; i < 48; i += 1) {
      // The health picture changes over time so leaders have something to apply.
      await m.probeAll(i >= 10 && i < 20 ? gcpDown : () => true);
      const reports = await Promise.all(nodes.filter((n) => alive.has(n.id)).map((n) => n.step()));
      expect(reports.filter((r) => r.leader && ['applied', 'in-sync'].includes(r.result)).length).toBeLessThanOrEqual(1);
      // Crash whoever leads at steps 8 and 24 (they stop renewing and never come back).
      if (i === 8 || i === 24) {
        const leader = reports.find((r) => r.leader);
        if (leader) alive.delete(leader.node);
      }
      await m.clock.advance(INTERVAL);
    }
    const byTerm = successfulAppliesByTerm(m.applies);
    expect(byTerm.size).toBeGreaterThanOrEqual(3);
    for (const [, appliers] of byTerm) expect(appliers.size).toBe(1);
    expect(await m.zone.currentTerm()).toBe(Math.max(...byTerm.keys()));
    expect(await m.weights()).toEqual({ aws: 100, azure: 100, gcp: 100 });
  });

  it('lets exactly one of three schedulers win a vacant lease and apply, while the others follow', async () => {
    const m = mesh();
    const nodes = [m.node('sched-a'), m.node('sched-b'), m.node('sched-c')];
    const reports = await Promise.all(nodes.map((n) => n.step()));
    expect(reports.filter((r) => r.leader)).toHaveLength(1);
    expect(reports.filter((r) => r.result === 'applied')).toHaveLength(1);
    expect(reports.filter((r) => r.result === 'follower')).toHaveLength(2);
    for (const n of nodes) if (!reports.find((r) => r.node === n.id)?.leader) expect(n.view.totalCalls).toBe(0);
    expect(await m.zone.currentTerm()).toBe(1);
    expect(await m.weights()).toEqual({ aws: 100, azure: 100, gcp: 100 });
  });

  it('hands over within lease + renew interval after the leader stops renewing, and the new leader fences the zone', async () => {
    const m = mesh();
    const [a, b, c] = [m.node('sched-a'), m.node('sched-b'), m.node('sched-c')];
    let lastRenewalByA = 0;
    for (let i = 0; i < 4; i += 1) {
      await m.probeAll();
      const ra = await a.step();
      expect(ra.leader).toBe(true);
      lastRenewalByA = m.clock.now();
      await Promise.all([b.step(), c.step()]);
      await m.clock.advance(INTERVAL);
    }
    // a is gone. b and c keep ticking every interval.
    let takeoverAt: number | undefined;
    let newLeader: ReconcileReport | undefined;
    while (takeoverAt === undefined && m.clock.now() < lastRenewalByA + 60_000) {
      await m.probeAll();
      for (const r of await Promise.all([b.step(), c.step()])) {
        if (r.leader && r.result === 'applied') {
          takeoverAt = m.clock.now();
          newLeader = r;
        }
      }
      if (takeoverAt === undefined) await m.clock.advance(INTERVAL);
    }
    expect(takeoverAt).toBeDefined();
    expect(takeoverAt! - lastRenewalByA).toBeLessThanOrEqual(DEFAULT_LEASE_CONFIG.leaseMs + INTERVAL);
    expect(takeoverAt! - lastRenewalByA).toBeGreaterThan(DEFAULT_LEASE_CONFIG.leaseMs);
    expect(newLeader).toMatchObject({ term: 2, result: 'applied' });
    // Nothing to change but the term: the new leader records its term in the zone at once.
    expect(await m.zone.currentTerm()).toBe(2);
    expect(await m.weights()).toEqual({ aws: 100, azure: 100, gcp: 100 });
  });

  it("rejects a paused leader's batch after a takeover and leaves the records unchanged", async () => {
    const m = mesh();
    const a = m.node('sched-a', true);
    const b = m.node('sched-b');
    await m.probeAll();
    expect(await a.step()).toMatchObject({ leader: true, term: 1, result: 'applied' });

    // gcp starts failing from two observers; a sees it and plans weight 0 for gcp, then pauses inside apply.
    await m.clock.advance(INTERVAL);
    await a.clock.set(m.clock.now());
    await m.probeAll((t) => t !== 'gcp');
    await m.clock.advance(INTERVAL);
    await a.clock.set(m.clock.now());
    await m.probeAll((t) => t !== 'gcp');
    a.view.pause();
    const stale = a.step();
    await m.clock.advance(0);
    expect(a.view.calls.apply).toBe(2); // the first batch, and the one now held

    // Meanwhile (a's process is frozen, its clock too) b takes over and applies at term 2.
    let rb: ReconcileReport | undefined;
    for (let i = 0; i < 6 && !rb?.leader; i += 1) {
      await m.clock.advance(INTERVAL);
      await m.probeAll((t) => t !== 'gcp');
      rb = await b.step();
    }
    expect(rb).toMatchObject({ leader: true, term: 2, result: 'applied' });
    expect(await m.weights()).toEqual({ aws: 100, azure: 100, gcp: 0 });
    const before = m.zone.snapshot();

    // a resumes: its batch (fenced with term 1) is rejected as a whole.
    a.view.resume();
    const ra = await stale;
    expect(ra).toMatchObject({ node: 'sched-a', term: 1, result: 'fenced-out' });
    expect(m.zone.snapshot()).toEqual(before);
    expect(await m.zone.currentTerm()).toBe(2);
    const aApplies = m.applies.filter((x) => x.node === 'sched-a');
    expect(aApplies.map((x) => x.status)).toEqual(['success', 'failure']);

    // Once resumed it follows b and never acts at term 1 again.
    await a.clock.set(m.clock.now());
    expect(await a.step()).toMatchObject({ leader: false, holder: 'sched-b', term: 2, result: 'follower' });
    const audit = await readAudit(m.store);
    expect(audit.filter((r) => r.kind === 'dns.fenced-out')).toEqual([
      expect.objectContaining({ node: 'sched-a', term: 1, details: expect.objectContaining({ newerTerm: 2 }) }),
    ]);
    expect(audit.filter((r) => r.kind === 'lease.lost')).toEqual([expect.objectContaining({ node: 'sched-a', term: 1, details: expect.objectContaining({ holder: 'sched-b' }) })]);
    expect(m.logger.lines.some((l) => l.fields.event === 'scheduler.fenced_out' && l.fields.node === 'sched-a')).toBe(true);
  });

  it('does not act on a stored verdict written under a newer term', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    await a.step();
    const entry = await m.store.get(VERDICT_KEY);
    await m.store.put(VERDICT_KEY, { ...(entry!.value as Record<string, never>), term: 7 });
    await m.clock.advance(INTERVAL);
    const applied = m.applies.length;
    expect(await a.step()).toMatchObject({ leader: true, term: 1, result: 'fenced-out' });
    expect(m.applies.length).toBe(applied);
  });
});

describe('electAndReconcile: verdict to weights', () => {
  /** A single scheduler stepping every interval after the observers probed. */
  async function run(m: ReturnType<typeof mesh>, leader: Node, steps: number, healthy: (target: Cloud, observer: Cloud) => boolean) {
    const seen: { at: number; weights: Record<string, number | undefined>; report: ReconcileReport }[] = [];
    for (let i = 0; i < steps; i += 1) {
      await m.clock.advance(INTERVAL);
      await m.probeAll(healthy);
      const report = await leader.step();
      seen.push({ at: m.clock.now(), weights: await m.weights(), report });
    }
    return seen;
  }

  it('sets a cloud failing from two observers to weight 0 after N = 2 failures', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    await run(m, a, 2, () => true);
    const [first, second] = await run(m, a, 2, (t) => t !== 'gcp');
    expect(first!.weights).toEqual({ aws: 100, azure: 100, gcp: 100 });
    expect(second!.weights).toEqual({ aws: 100, azure: 100, gcp: 0 });
    expect(second!.report).toMatchObject({ result: 'applied', transitions: 1, weights: { gcp: 0 } });
    const audit = await readAudit(m.store);
    expect(audit.filter((r) => r.kind === 'verdict.transition')).toEqual([
      expect.objectContaining({ term: 1, details: expect.objectContaining({ target: 'gcp', from: 'UP', to: 'DOWN', weight: 0 }) }),
    ]);
  });

  it('changes nothing when only one observer sees a cloud failing, with one DNS read per step', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    await run(m, a, 2, () => true);
    const callsBefore = { ...a.view.calls };
    const seen = await run(m, a, 10, (t, o) => !(t === 'gcp' && o === 'aws'));
    for (const s of seen) {
      expect(s.weights).toEqual({ aws: 100, azure: 100, gcp: 100 });
      expect(s.report).toMatchObject({ result: 'in-sync', transitions: 0, dnsCalls: 1 });
    }
    expect(a.view.calls).toEqual({ records: callsBefore.records + 10, currentTerm: callsBefore.currentTerm, apply: callsBefore.apply });
  });

  it('returns weight only after the hold-down, ramped 10% → 50% → 100%, without flapping', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    await run(m, a, 2, () => true);
    const down = await run(m, a, 4, (t) => t !== 'gcp');
    const lastFailureAt = down[down.length - 1]!.at;
    const recovery = await run(m, a, 36, () => true);

    const gcp = recovery.map((s) => ({ at: s.at, w: s.weights.gcp }));
    const distinct = gcp.map((s) => s.w).filter((w, i, all) => i === 0 || w !== all[i - 1]);
    expect(distinct).toEqual([0, 10, 50, 100]);
    const firstAt = (w: number) => gcp.find((s) => s.w === w)!.at;
    expect(firstAt(10) - lastFailureAt).toBeGreaterThanOrEqual(60_000);
    expect(firstAt(10) - lastFailureAt).toBeLessThanOrEqual(60_000 + INTERVAL);
    expect(firstAt(50) - firstAt(10)).toBeGreaterThanOrEqual(30_000);
    expect(firstAt(100) - firstAt(50)).toBeGreaterThanOrEqual(30_000);
    const transitions = (await readAudit(m.store)).filter((r) => r.kind === 'verdict.transition').map((r) => `${String(r.details.from)}->${String(r.details.to)}:${String(r.details.weight)}`);
    expect(transitions).toEqual(['UP->DOWN:0', 'DOWN->RECOVERING:10', 'RECOVERING->RECOVERING:50', 'RECOVERING->UP:100']);
  });

  it('keeps the weights when every target looks down, and writes one alert outbox item (and a resolve later)', async () => {
    const m = mesh({ verdict: { holdDownMs: 20_000, rampDwellMs: 10_000 } });
    const a = m.node('sched-a');
    await run(m, a, 2, () => true);
    const appliesBefore = a.view.calls.apply;
    const down = await run(m, a, 6, () => false);
    for (const s of down) expect(s.weights).toEqual({ aws: 100, azure: 100, gcp: 100 });
    expect(down[1]!.report).toMatchObject({ allDown: true, weights: { aws: 100, azure: 100, gcp: 100 } });
    expect(a.view.calls.apply).toBe(appliesBefore);

    const items = await m.outbox();
    expect(items).toEqual([
      {
        dedupKey: `meshgate:all-targets-down:${RECORD}`,
        action: 'trigger',
        severity: 'critical',
        summary: expect.stringContaining('fail open') as string,
        at: down[1]!.at,
        source: 'sched-a',
      },
    ]);
    const stored = parseVerdictRecord((await m.store.get(VERDICT_KEY))?.value);
    expect(stored).toMatchObject({ allDown: true, alertOpen: true });

    // Everything recovers: after the hold-down weights flow again and the incident resolves, once.
    const up = await run(m, a, 12, () => true);
    expect(up.some((s) => s.report.allDown === false)).toBe(true);
    const resolved = (await m.outbox()).filter((i) => i.action === 'resolve');
    expect(resolved).toEqual([expect.objectContaining({ dedupKey: `meshgate:all-targets-down:${RECORD}`, severity: 'info' })]);
    expect(await m.outbox()).toHaveLength(2);
    const alerts = (await readAudit(m.store)).filter((r) => r.kind === 'alert').map((r) => r.details.action);
    expect(alerts).toEqual(['trigger', 'resolve']);
  });
});

describe('electAndReconcile: DNS outcomes', () => {
  it('backs off on a retryable outcome, honouring retryInMs within the step deadline', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    m.zone.injectOutcome({ status: 'retryable', error: new MeshgateError('throttled', 'Throttling: Rate exceeded'), retryInMs: 1_000 });
    const started = m.clock.now();
    const step = electAndReconcile(a.deps, started, { deadlineAt: started + INTERVAL });
    let done: ReconcileReport | undefined;
    void step.then((r) => (done = r));
    await m.clock.advanceUntil(() => done !== undefined, 100, 10_000);
    expect(done).toMatchObject({ result: 'applied', applyAttempts: 2 });
    expect(m.clock.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(m.clock.now() - started).toBeLessThan(INTERVAL);
    expect(m.applies.map((x) => x.status)).toEqual(['retryable', 'success']);
  });

  it('gives up instead of sleeping past the deadline, and tries again next step', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    m.zone.injectOutcome({ status: 'retryable', error: new MeshgateError('throttled', 'PriorRequestNotComplete'), retryInMs: 30_000 });
    const report = await a.step();
    expect(report).toMatchObject({ result: 'failed', applyAttempts: 1, error: 'throttled' });
    expect(m.clock.pendingSleeps).toBe(0);
    await m.clock.advance(INTERVAL);
    expect(await a.step()).toMatchObject({ result: 'applied' });
    expect(await m.weights()).toEqual({ aws: 100, azure: 100, gcp: 100 });
  });

  it('re-plans when a record drifted since it was read (same term), without stepping down', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    await a.step();
    // Someone edits the gcp record by hand between the read and the apply.
    const [gcp] = (await m.zone.records(RECORD)).filter((r) => r.setId === 'gcp');
    const realApply = m.zone.apply.bind(m.zone);
    let edited = false;
    jest.spyOn(m.zone, 'apply').mockImplementation(async (changes, fence) => {
      if (!edited) {
        edited = true;
        await realApply({ create: [], update: [{ old: gcp!, next: { ...gcp!, weight: 7 } }], delete: [] }, { expectedTerm: 1, term: 1 });
      }
      return realApply(changes, fence);
    });
    await m.clock.advance(INTERVAL);
    await m.probeAll((t) => t !== 'gcp');
    await m.clock.advance(INTERVAL);
    await m.probeAll((t) => t !== 'gcp');
    const report = await a.step();
    expect(report).toMatchObject({ result: 'applied', applyAttempts: 2, leader: true });
    expect(await m.weights()).toEqual({ aws: 100, azure: 100, gcp: 0 });
    expect(a.deps.state.fencedOutTerm).toBe(0);
  });

  it('stops on a rejected (malformed) change set and records the failed plan', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    m.zone.injectOutcome({ status: 'failure', error: new MeshgateError('validation', 'weight 300 outside 0-255') });
    expect(await a.step()).toMatchObject({ result: 'failed', error: 'validation', applyAttempts: 1 });
    const plan = (await m.store.get('scheduler/plan'))?.value as Record<string, unknown>;
    expect(plan).toMatchObject({ outcome: 'failure', code: 'validation', term: 1, node: 'sched-a' });
    expect(m.logger.lines.some((l) => l.level === 'error' && l.fields.event === 'scheduler.apply_rejected')).toBe(true);
  });

  it('does not act and reports the store trouble when the store is unavailable', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    await a.step();
    m.store.setFault('unavailable');
    await m.clock.advance(INTERVAL);
    const report = await a.step();
    // Still inside its safe window, but it cannot read the verdict: no DNS call.
    expect(report).toMatchObject({ leader: true, result: 'failed', error: 'unavailable', dnsCalls: 0 });
  });
  it('gives up on a store that hangs within the step, without claiming or dropping leadership', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    await a.step();
    await m.clock.advance(INTERVAL);
    m.store.setFault('hang');
    let done: ReconcileReport | undefined;
    void a.step().then((r) => (done = r));
    await m.clock.advanceUntil(() => done !== undefined, 100, INTERVAL);
    expect(done).toMatchObject({ result: 'failed', error: 'timeout', leader: true, dnsCalls: 0 });
    m.store.setFault('none');
    expect((await readAudit(m.store)).map((r) => r.kind)).toEqual(['lease.acquired', 'dns.plan', 'dns.apply']);
  });
});

describe('electAndReconcile: audit log', () => {
  it('writes one audit record per decision, readable by time with since/limit, and expiring after 14 days', async () => {
    const m = mesh();
    const a = m.node('sched-a');
    const b = m.node('sched-b');
    await a.step();
    await b.step();
    for (let i = 0; i < 2; i += 1) {
      await m.clock.advance(INTERVAL);
      await m.probeAll((t) => t !== 'azure');
      await a.step();
    }
    const audit = await readAudit(m.store);
    expect(audit.map((r) => r.kind)).toEqual([
      'lease.acquired',
      'dns.plan',
      'dns.apply',
      'verdict.transition',
      'dns.plan',
      'dns.apply',
    ]);
    expect(audit.every((r) => r.node === 'sched-a' && r.term === 1)).toBe(true);
    expect(audit[2]).toMatchObject({ details: { outcome: 'success', expectedTerm: 0, changeCount: 4 } });
    expect(audit[4]).toMatchObject({ summary: 'azure weight 100 -> 0' });

    const keys = (await m.store.list('audit/')).map((e) => e.key);
    expect(keys[0]).toMatch(/^audit\/2026-01-01\/\d{15}\.\d{6}-sched-a$/);
    const lastAt = audit[audit.length - 1]!.at;
    expect((await readAudit(m.store, { since: lastAt, now: m.clock.now() })).map((r) => r.kind)).toEqual(['verdict.transition', 'dns.plan', 'dns.apply']);
    expect((await readAudit(m.store, { since: T0, limit: 2, now: m.clock.now() })).map((r) => r.kind)).toEqual(['lease.acquired', 'dns.plan']);
    expect((await readAudit(m.store, { limit: 1 })).map((r) => r.kind)).toEqual(['dns.apply']);

    await m.clock.advance(14 * 24 * 60 * 60 * 1000 + 1);
    expect(await readAudit(m.store)).toEqual([]);
  });
});
