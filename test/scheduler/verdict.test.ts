import fc from 'fast-check';
import {
  DEFAULT_VERDICT_CONFIG,
  decideVerdict,
  rampedWeight,
  type ObservationSummary,
  type VerdictConfig,
  type VerdictResult,
  type VerdictState,
  type VerdictTarget,
} from '../../shared/core/verdict';

const OBSERVERS = ['aws', 'azure', 'gcp'] as const;
const config: VerdictConfig = { ...DEFAULT_VERDICT_CONFIG, observers: OBSERVERS };
const targets: VerdictTarget[] = [
  { id: 'aws', weight: 100 },
  { id: 'azure', weight: 100 },
  { id: 'gcp', weight: 100 },
];
const T0 = 1_700_000_000_000;

const fail = (observer: string, target: string, n: number, at: number): ObservationSummary => ({ observer, target, consecutiveFailures: n, consecutiveSuccesses: 0, lastAt: at });
const ok = (observer: string, target: string, n: number, at: number): ObservationSummary => ({ observer, target, consecutiveFailures: 0, consecutiveSuccesses: n, lastAt: at });
/** Every observer sees every target healthy, except the listed overrides. */
const allHealthy = (at: number, overrides: ObservationSummary[] = []): ObservationSummary[] => {
  const base = OBSERVERS.flatMap((o) => targets.map((t) => ok(o, t.id, 10, at)));
  return base.filter((b) => !overrides.some((x) => x.observer === b.observer && x.target === b.target)).concat(overrides);
};

/** Runs a sequence of evaluations, threading the state. */
function run(steps: { now: number; observations: ObservationSummary[] }[], cfg = config, ts = targets, previous?: VerdictState): VerdictResult[] {
  const results: VerdictResult[] = [];
  let state = previous;
  for (const s of steps) {
    const r = decideVerdict({ now: s.now, targets: ts, observations: s.observations, ...(state ? { previous: state } : {}) }, cfg);
    results.push(r);
    state = r.state;
  }
  return results;
}

const phase = (r: VerdictResult | undefined, id: string) => r?.targets.find((t) => t.id === id)?.state.phase;

describe('decideVerdict', () => {
  it('starts every target UP at its configured weight', () => {
    const r = decideVerdict({ now: T0, targets, observations: [] }, config);
    expect(r.weights).toEqual({ aws: 100, azure: 100, gcp: 100 });
    expect(r.allDown).toBe(false);
    expect(r.transitions).toEqual([]);
  });

  it('fails a target over when 2 of 3 observers report N=2 consecutive failures', () => {
    const r = decideVerdict({ now: T0, targets, observations: allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 3, T0)]) }, config);
    expect(phase(r, 'gcp')).toBe('DOWN');
    expect(r.weights).toEqual({ aws: 100, azure: 100, gcp: 0 });
    expect(r.transitions).toEqual([expect.objectContaining({ target: 'gcp', from: 'UP', to: 'DOWN', at: T0 })]);
    expect(r.state.targets.gcp).toMatchObject({ phase: 'DOWN', since: T0, downSince: T0, lastFailureAt: T0 });
  });

  it('never fails a target over on one observer alone, however many failures it reports', () => {
    const r = decideVerdict({ now: T0, targets, observations: allHealthy(T0, [fail('aws', 'gcp', 50, T0)]) }, config);
    expect(phase(r, 'gcp')).toBe('UP');
  });

  it('needs N consecutive failures from each voting observer', () => {
    const r = decideVerdict({ now: T0, targets, observations: allHealthy(T0, [fail('aws', 'gcp', 1, T0), fail('azure', 'gcp', 1, T0)]) }, config);
    expect(phase(r, 'gcp')).toBe('UP');
  });

  it('ignores stale observations, unknown observers, and older duplicates', () => {
    const stale = config.staleAfterMs + 1;
    const observations = [
      fail('aws', 'gcp', 5, T0),
      fail('azure', 'gcp', 5, T0 - stale),
      fail('intruder', 'gcp', 5, T0),
      fail('gcp', 'gcp', 5, T0 - 10),
      ok('gcp', 'gcp', 3, T0 - 5),
    ];
    const r = decideVerdict({ now: T0, targets, observations }, config);
    expect(phase(r, 'gcp')).toBe('UP');
    expect(r.targets.find((t) => t.id === 'gcp')?.votes).toEqual({ fresh: 2, failing: 1, anyFailing: 1, healthy: 1, failingNow: 1 });
  });

  it('recovers only after M successes from a quorum and the hold-down, then ramps 10% → 50% → 100%', () => {
    const down = [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)];
    const healthyAt = (t: number) => allHealthy(t);
    const steps = [
      { now: T0, observations: allHealthy(T0, down) },
      { now: T0 + 30_000, observations: healthyAt(T0 + 30_000) }, // healthy, but within hold-down
      { now: T0 + 59_999, observations: healthyAt(T0 + 59_999) },
      { now: T0 + 60_000, observations: healthyAt(T0 + 60_000) }, // hold-down over: 10%
      { now: T0 + 80_000, observations: healthyAt(T0 + 80_000) }, // dwell not over
      { now: T0 + 90_000, observations: healthyAt(T0 + 90_000) }, // 50%
      { now: T0 + 120_000, observations: healthyAt(T0 + 120_000) }, // UP
    ];
    const rs = run(steps);
    expect(rs.map((r) => r.weights.gcp)).toEqual([0, 0, 0, 10, 10, 50, 100]);
    expect(rs.map((r) => phase(r, 'gcp'))).toEqual(['DOWN', 'DOWN', 'DOWN', 'RECOVERING', 'RECOVERING', 'RECOVERING', 'UP']);
    expect(rs.flatMap((r) => r.transitions).map((t) => `${t.from}->${t.to}@${t.at - T0}`)).toEqual([
      'UP->DOWN@0',
      'DOWN->RECOVERING@60000',
      'RECOVERING->RECOVERING@90000',
      'RECOVERING->UP@120000',
    ]);
  });

  it('does not recover on fewer than M successes or on a single healthy observer', () => {
    const down = run([{ now: T0, observations: allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)]) }]);
    const t = T0 + 120_000;
    const r = run(
      [
        { now: t, observations: [ok('aws', 'gcp', 2, t), ok('azure', 'gcp', 2, t), ok('gcp', 'gcp', 2, t)] },
        { now: t + 1, observations: [ok('aws', 'gcp', 9, t), fail('azure', 'gcp', 0, t)] },
      ],
      config,
      targets,
      down[0]?.state,
    );
    expect(r.map((x) => phase(x, 'gcp'))).toEqual(['DOWN', 'DOWN']);
  });

  it('restarts the hold-down while a quorum still reports failures', () => {
    const failing = (t: number) => allHealthy(t, [fail('aws', 'gcp', 1, t), fail('azure', 'gcp', 1, t)]);
    const rs = run([
      { now: T0, observations: allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)]) },
      { now: T0 + 50_000, observations: failing(T0 + 50_000) },
      { now: T0 + 60_000, observations: allHealthy(T0 + 60_000) },
      { now: T0 + 109_999, observations: allHealthy(T0 + 109_999) },
      { now: T0 + 110_000, observations: allHealthy(T0 + 110_000) },
    ]);
    expect(rs.map((r) => phase(r, 'gcp'))).toEqual(['DOWN', 'DOWN', 'DOWN', 'DOWN', 'RECOVERING']);
  });

  it('sends a target back to DOWN on a quorum failure during the ramp, restarting the hold-down (no flapping)', () => {
    const rs = run([
      { now: T0, observations: allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)]) },
      { now: T0 + 60_000, observations: allHealthy(T0 + 60_000) },
      { now: T0 + 70_000, observations: allHealthy(T0 + 70_000, [fail('aws', 'gcp', 1, T0 + 70_000), fail('gcp', 'gcp', 1, T0 + 70_000)]) },
      { now: T0 + 100_000, observations: allHealthy(T0 + 100_000) },
      { now: T0 + 130_000, observations: allHealthy(T0 + 130_000) },
    ]);
    expect(rs.map((r) => `${phase(r, 'gcp')}:${r.weights.gcp}`)).toEqual(['DOWN:0', 'RECOVERING:10', 'DOWN:0', 'DOWN:0', 'RECOVERING:10']);
    expect(rs[2]?.state.targets.gcp).toMatchObject({ since: T0 + 70_000, lastFailureAt: T0 + 70_000 });
  });

  it('holds a ramp stage while no quorum of fresh successes backs it', () => {
    const rs = run([
      { now: T0, observations: allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)]) },
      { now: T0 + 60_000, observations: allHealthy(T0 + 60_000) },
      { now: T0 + 200_000, observations: [] },
    ]);
    expect(rs.map((r) => phase(r, 'gcp'))).toEqual(['DOWN', 'RECOVERING', 'RECOVERING']);
  });

  const everyoneFails = (at: number): ObservationSummary[] => OBSERVERS.flatMap((o) => targets.map((t) => fail(o, t.id, 2, at)));

  it('fails open to the weights from before the outage when every target goes down within the window, and flags it', () => {
    // gcp crosses the threshold one step before the others: the same outage, so gcp gets its weight back too.
    const rs = run([
      { now: T0, observations: allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)]) },
      { now: T0 + 5_000, observations: everyoneFails(T0 + 5_000) },
      { now: T0 + 60_000, observations: everyoneFails(T0 + 60_000) },
    ]);
    expect(rs[0]?.weights).toEqual({ aws: 100, azure: 100, gcp: 0 });
    expect(rs[1]?.allDown).toBe(true);
    expect(rs[1]?.targets.map((t) => t.state.phase)).toEqual(['DOWN', 'DOWN', 'DOWN']);
    expect(rs[1]?.targets.map((t) => t.weight)).toEqual([0, 0, 0]);
    expect(rs[1]?.weights).toEqual({ aws: 100, azure: 100, gcp: 100 });
    // Steady for as long as the outage lasts, after the window has passed too.
    expect(rs[2]?.allDown).toBe(true);
    expect(rs[2]?.weights).toEqual({ aws: 100, azure: 100, gcp: 100 });
  });

  it('keeps the weights while every serving target is failing at once, instead of zeroing them one by one', () => {
    // Everything fails together (the observers' network, a shared dependency): gcp crosses the threshold first,
    // while the latest probes of aws and azure already fail too.
    const firstFailures = (at: number) => OBSERVERS.flatMap((o) => targets.map((t) => fail(o, t.id, t.id === 'gcp' ? 2 : 1, at)));
    const rs = run([
      { now: T0, observations: allHealthy(T0) },
      { now: T0 + 2_500, observations: firstFailures(T0 + 2_500) },
      { now: T0 + 5_000, observations: everyoneFails(T0 + 5_000) },
    ]);
    expect(phase(rs[1], 'gcp')).toBe('DOWN');
    expect(rs[1]?.transitions).toEqual([expect.objectContaining({ target: 'gcp', to: 'DOWN' })]);
    expect(rs[1]).toMatchObject({ held: true, allDown: false, weights: { aws: 100, azure: 100, gcp: 100 } });
    expect(rs[2]).toMatchObject({ held: false, allDown: true, weights: { aws: 100, azure: 100, gcp: 100 } });
  });

  it('does not hold back the failover of one target while the others are seen working', () => {
    const oneFailingProbeElsewhere = (at: number) => allHealthy(at, [fail('aws', 'gcp', 2, at), fail('azure', 'gcp', 2, at), fail('gcp', 'aws', 1, at)]);
    const rs = run([
      { now: T0, observations: allHealthy(T0) },
      { now: T0 + 2_500, observations: oneFailingProbeElsewhere(T0 + 2_500) },
    ]);
    expect(rs[1]).toMatchObject({ held: false, allDown: false, weights: { aws: 100, azure: 100, gcp: 0 } });
  });

  it('releases the hold as soon as a serving target is seen working again', () => {
    const firstFailures = (at: number) => OBSERVERS.flatMap((o) => targets.map((t) => fail(o, t.id, t.id === 'gcp' ? 2 : 1, at)));
    const rs = run([
      { now: T0, observations: allHealthy(T0) },
      { now: T0 + 2_500, observations: firstFailures(T0 + 2_500) },
      { now: T0 + 5_000, observations: allHealthy(T0 + 5_000, [fail('aws', 'gcp', 3, T0 + 5_000), fail('azure', 'gcp', 3, T0 + 5_000)]) },
    ]);
    expect(rs[1]?.held).toBe(true);
    expect(rs[2]).toMatchObject({ held: false, weights: { aws: 100, azure: 100, gcp: 0 } });
  });

  describe('telling one target\'s failure from a shared one whose targets are probed at different moments', () => {
    /** A run of failures that began at `since`. */
    const failingFrom = (observer: string, target: string, n: number, since: number, at: number): ObservationSummary => ({
      ...fail(observer, target, n, at),
      failingSince: since,
    });
    const gcpFailing = (since: number, at: number) => [failingFrom('aws', 'gcp', 2, since, at), failingFrom('azure', 'gcp', 2, since + 300, at)];
    /** Every observer's latest probe of aws and azure succeeded at `okAt`; gcp as given. */
    const othersOkAt = (okAt: number, gcp: ObservationSummary[]) =>
      OBSERVERS.flatMap((o) => [ok(o, 'aws', 10, okAt), ok(o, 'azure', 10, okAt)]).concat(gcp);

    it('keeps gcp\'s weight while aws and azure have not been probed since gcp began to fail, then holds as they fail too', () => {
      const rs = run([
        { now: T0, observations: allHealthy(T0) },
        // Everything went dark at T0 + 1 s; gcp is probed first, crosses N = 2 with its re-check.
        { now: T0 + 3_500, observations: othersOkAt(T0 + 500, gcpFailing(T0 + 1_000, T0 + 3_000)) },
        // The observers now reach aws and azure: their first failures.
        {
          now: T0 + 6_000,
          observations: OBSERVERS.flatMap((o) => [failingFrom(o, 'aws', 1, T0 + 4_000, T0 + 4_000), failingFrom(o, 'azure', 1, T0 + 4_500, T0 + 4_500)]).concat(
            gcpFailing(T0 + 1_000, T0 + 5_000),
          ),
        },
        { now: T0 + 9_000, observations: everyoneFails(T0 + 9_000) },
      ]);
      expect(phase(rs[1], 'gcp')).toBe('DOWN');
      expect(rs[1]).toMatchObject({ held: true, heldReason: 'aws, azure not seen working since the failure began', weights: { aws: 100, azure: 100, gcp: 100 } });
      expect(rs[2]).toMatchObject({ held: true, heldReason: 'every serving target is failing at once', weights: { aws: 100, azure: 100, gcp: 100 } });
      expect(rs[3]).toMatchObject({ allDown: true, weights: { aws: 100, azure: 100, gcp: 100 } });
    });

    it('takes gcp\'s weight away once aws and azure are seen working after gcp began to fail', () => {
      const rs = run([
        { now: T0, observations: allHealthy(T0) },
        { now: T0 + 3_500, observations: othersOkAt(T0 + 500, gcpFailing(T0 + 1_000, T0 + 3_000)) },
        // One observer's probe of each after the failure began is enough: failures never look like successes.
        {
          now: T0 + 6_000,
          observations: [ok('aws', 'aws', 11, T0 + 4_000), ok('azure', 'aws', 10, T0 + 500), ok('azure', 'azure', 11, T0 + 5_000), ok('aws', 'azure', 10, T0 + 500)].concat(
            gcpFailing(T0 + 1_000, T0 + 5_000),
          ),
        },
      ]);
      expect(rs[1]?.held).toBe(true);
      expect(rs[2]).toMatchObject({ held: false, heldReason: null, weights: { aws: 100, azure: 100, gcp: 0 } });
    });

    it('does not wait when the others were already seen working after gcp began to fail', () => {
      const rs = run([
        { now: T0, observations: allHealthy(T0) },
        { now: T0 + 3_500, observations: othersOkAt(T0 + 2_000, gcpFailing(T0 + 1_000, T0 + 3_000)) },
      ]);
      expect(rs[1]).toMatchObject({ held: false, weights: { aws: 100, azure: 100, gcp: 0 } });
    });

    it('waits at most sharedFailureCheckMs after gcp went DOWN when the others cannot be seen', () => {
      const stuck = (now: number) => ({ now, observations: othersOkAt(T0 + 500, gcpFailing(T0 + 1_000, now - 500)) });
      const rs = run([{ now: T0, observations: allHealthy(T0) }, stuck(T0 + 3_500), stuck(T0 + 3_500 + 9_999), stuck(T0 + 3_500 + 10_000)]);
      expect(rs[1]?.held).toBe(true);
      expect(rs[2]?.held).toBe(true);
      expect(rs[3]).toMatchObject({ held: false, weights: { aws: 100, azure: 100, gcp: 0 } });
    });

    it('dates the failure from the first observer that began to see it', () => {
      const staggered = [failingFrom('aws', 'gcp', 3, T0 + 1_000, T0 + 6_000), failingFrom('azure', 'gcp', 2, T0 + 4_000, T0 + 6_000)];
      const rs = run([
        { now: T0, observations: allHealthy(T0) },
        { now: T0 + 6_500, observations: othersOkAt(T0 + 2_000, staggered) },
      ]);
      expect(phase(rs[1], 'gcp')).toBe('DOWN');
      expect(rs[1]).toMatchObject({ held: false, weights: { aws: 100, azure: 100, gcp: 0 } });
    });

    it('ignores a run of failures that began long before: one observer failing everything for long does not count', () => {
      const partitioned = failingFrom('gcp', 'gcp', 40, T0 - 200_000, T0 + 3_000);
      const rs = run([
        { now: T0, observations: allHealthy(T0) },
        { now: T0 + 3_500, observations: othersOkAt(T0 + 500, [partitioned, failingFrom('aws', 'gcp', 2, T0 + 1_000, T0 + 3_000)]) },
      ]);
      expect(phase(rs[1], 'gcp')).toBe('DOWN');
      expect(rs[1]).toMatchObject({ held: true, weights: { aws: 100, azure: 100, gcp: 100 } });
    });

    it('takes weight away at once when the check is off', () => {
      const rs = run(
        [
          { now: T0, observations: allHealthy(T0) },
          { now: T0 + 3_500, observations: othersOkAt(T0 + 500, gcpFailing(T0 + 1_000, T0 + 3_000)) },
        ],
        { ...config, sharedFailureCheckMs: 0 },
      );
      expect(rs[1]).toMatchObject({ held: false, weights: { aws: 100, azure: 100, gcp: 0 } });
    });

    it('rejects a negative sharedFailureCheckMs naming the field', () => {
      expect(() => decideVerdict({ now: T0, targets, observations: [] }, { ...config, sharedFailureCheckMs: -1 })).toThrow(/verdict\.sharedFailureCheckMs/);
    });
  });

  it('never holds weight for a target that was already out before everything failed', () => {
    const gcpDown = (at: number) => allHealthy(at, [fail('aws', 'gcp', 9, at), fail('azure', 'gcp', 9, at)]);
    const rs = run([
      { now: T0, observations: gcpDown(T0) },
      { now: T0 + 40_000, observations: OBSERVERS.flatMap((o) => targets.map((t) => fail(o, t.id, t.id === 'azure' ? 2 : 1, T0 + 40_000))) },
    ]);
    expect(rs[0]?.weights).toEqual({ aws: 100, azure: 100, gcp: 0 });
    expect(rs[1]).toMatchObject({ held: true, weights: { aws: 100, azure: 100, gcp: 0 } });
  });

  it('restores the ramp fraction a recovering target had when the outage began', () => {
    const ramped = { ...config, holdDownMs: 0, rampDwellMs: 1_000_000 };
    const rs = run(
      [
        { now: T0, observations: allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)]) },
        { now: T0 + 5_000, observations: allHealthy(T0 + 5_000) },
        { now: T0 + 10_000, observations: everyoneFails(T0 + 10_000).filter((o) => o.target === 'gcp').concat(allHealthy(T0 + 10_000).filter((o) => o.target !== 'gcp')) },
        { now: T0 + 15_000, observations: everyoneFails(T0 + 15_000) },
      ],
      ramped,
    );
    expect(rs[1]?.weights).toEqual({ aws: 100, azure: 100, gcp: 10 });
    expect(phase(rs[2], 'gcp')).toBe('DOWN');
    expect(rs[3]?.weights).toEqual({ aws: 100, azure: 100, gcp: 10 });
  });

  it('keeps a target that was down long before the outage at 0 when failing open', () => {
    const down = allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0), fail('gcp', 'gcp', 2, T0)]);
    const rs = run([
      { now: T0, observations: down },
      { now: T0 + 40_000, observations: allHealthy(T0 + 40_000, [fail('aws', 'gcp', 9, T0 + 40_000), fail('azure', 'gcp', 9, T0 + 40_000)]) },
      { now: T0 + 45_000, observations: everyoneFails(T0 + 45_000) },
    ]);
    expect(rs[1]?.weights).toEqual({ aws: 100, azure: 100, gcp: 0 });
    expect(rs[2]?.allDown).toBe(true);
    expect(rs[2]?.weights).toEqual({ aws: 100, azure: 100, gcp: 0 });
  });

  it('fails open to the targets observers see healthy when only their hold-down keeps them out', () => {
    // aws and gcp went down and are healthy again but still in hold-down; then azure, the only one serving, dies.
    const start = allHealthy(T0, [fail('aws', 'aws', 2, T0), fail('azure', 'aws', 2, T0), fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)]);
    const azureDead = (at: number) => allHealthy(at, [fail('aws', 'azure', 2, at), fail('gcp', 'azure', 2, at)]);
    const rs = run([
      { now: T0, observations: start },
      { now: T0 + 20_000, observations: azureDead(T0 + 20_000) },
    ]);
    expect(rs[0]?.weights).toEqual({ aws: 0, azure: 100, gcp: 0 });
    expect(rs[1]?.allDown).toBe(true);
    expect(rs[1]?.targets.map((t) => t.state.phase)).toEqual(['DOWN', 'DOWN', 'DOWN']);
    // The first ramp stage (10%): the same split between them, and no drop when their ramp begins.
    expect(rs[1]?.weights).toEqual({ aws: 10, azure: 0, gcp: 10 });
  });

  it('fails open to the configured weights when nothing good was ever known', () => {
    const r = decideVerdict({ now: T0, targets, observations: OBSERVERS.flatMap((o) => targets.map((t) => fail(o, t.id, 2, T0))) }, config);
    expect(r.allDown).toBe(true);
    expect(r.weights).toEqual({ aws: 100, azure: 100, gcp: 100 });
  });

  it('keeps working from a state that went through JSON (it is stored in the replicated store)', () => {
    const first = run([{ now: T0, observations: allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)]) }])[0] as VerdictResult;
    const stored = JSON.parse(JSON.stringify(first.state)) as VerdictState;
    const next = decideVerdict({ now: T0 + 60_000, targets, observations: allHealthy(T0 + 60_000), previous: stored }, config);
    expect(phase(next, 'gcp')).toBe('RECOVERING');
  });

  it('goes straight to UP after the hold-down when there is no ramp', () => {
    const cfg = { ...config, ramp: [] };
    const rs = run(
      [
        { now: T0, observations: allHealthy(T0, [fail('aws', 'gcp', 2, T0), fail('azure', 'gcp', 2, T0)]) },
        { now: T0 + 60_000, observations: allHealthy(T0 + 60_000) },
      ],
      cfg,
    );
    expect(rs.map((r) => r.weights.gcp)).toEqual([0, 100]);
  });

  it('never rounds a positive ramped weight down to zero', () => {
    expect(rampedWeight(1, 0.1)).toBe(1);
    expect(rampedWeight(255, 0.5)).toBe(128);
    expect(rampedWeight(0, 1)).toBe(0);
    expect(rampedWeight(100, 0)).toBe(0);
  });

  it('rejects configs and targets that would break the rules', () => {
    const now = T0;
    expect(() => decideVerdict({ now, targets, observations: [] }, { ...config, quorum: 1 })).toThrow(/quorum/);
    expect(() => decideVerdict({ now, targets, observations: [] }, { ...config, quorum: 4 })).toThrow(/quorum/);
    expect(() => decideVerdict({ now, targets, observations: [] }, { ...config, ramp: [0.5, 0.1] })).toThrow(/ramp\[1\]/);
    expect(() => decideVerdict({ now, targets, observations: [] }, { ...config, ramp: [1] })).toThrow(/ramp\[0\]/);
    expect(() => decideVerdict({ now, targets, observations: [] }, { ...config, failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => decideVerdict({ now, targets: [{ id: 'a', weight: 0 }], observations: [] }, config)).toThrow(/positive weight/);
    expect(() => decideVerdict({ now, targets: [{ id: 'a', weight: 1 }, { id: 'a', weight: 2 }], observations: [] }, config)).toThrow(/twice/);
    expect(() => decideVerdict({ now, targets: [{ id: 'a', weight: -1 }, { id: 'b', weight: 2 }], observations: [] }, config)).toThrow(/>= 0/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties

const targetsArb = fc
  .uniqueArray(fc.constantFrom('aws', 'azure', 'gcp', 'edge', 'spare'), { minLength: 1, maxLength: 4 })
  .chain((ids) => fc.tuple(...ids.map((id) => fc.integer({ min: 0, max: 255 }).map((weight) => ({ id, weight })))))
  .filter((ts) => ts.some((t) => t.weight > 0));

/** A plausible summary: failures and successes are never both non-zero; sometimes stale. */
const summaryArb = (observer: string, target: string, now: number) =>
  fc
    .record({
      failures: fc.integer({ min: 0, max: 6 }),
      successes: fc.integer({ min: 0, max: 6 }),
      failing: fc.boolean(),
      ageMs: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 10_000, max: 40_000 })),
    })
    .map(({ failures, successes, failing, ageMs }) => ({
      observer,
      target,
      consecutiveFailures: failing ? failures : 0,
      consecutiveSuccesses: failing ? 0 : successes,
      lastAt: now - ageMs,
    }));

const configArb = fc.record({
  holdDownMs: fc.integer({ min: 0, max: 120_000 }),
  rampDwellMs: fc.integer({ min: 0, max: 60_000 }),
  ramp: fc.constantFrom([0.1, 0.5], [0.25], [], [0.05, 0.2, 0.6]),
  failureThreshold: fc.integer({ min: 1, max: 3 }),
  successThreshold: fc.integer({ min: 1, max: 4 }),
});

/** Steps: time advances, and per step every (observer, target) gets a summary or nothing. */
const scenarioArb = (ts: readonly VerdictTarget[], shape: (observer: string, target: string, now: number) => fc.Arbitrary<ObservationSummary | undefined>) =>
  fc
    .array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 60, size: 'max' })
    .chain((gaps) => {
      const times = gaps.reduce<number[]>((acc, g) => [...acc, (acc[acc.length - 1] ?? T0) + g], []);
      return fc.tuple(
        ...times.map((now) =>
          fc
            .tuple(...OBSERVERS.flatMap((o) => ts.map((t) => shape(o, t.id, now))))
            .map((obs) => ({ now, observations: obs.filter((o): o is ObservationSummary => o !== undefined) })),
        ),
      );
    });

describe('decideVerdict properties', () => {
  it('one observer reporting failures never produces DOWN', () => {
    const arb = targetsArb.chain((ts) =>
      fc.tuple(
        fc.constant(ts),
        configArb,
        fc.constantFrom(...OBSERVERS).chain((bad) =>
          scenarioArb(ts, (o, t, now) =>
            fc.option(
              summaryArb(o, t, now).map((x) => (o === bad ? x : { ...x, consecutiveFailures: 0 })),
              { nil: undefined },
            ),
          ),
        ),
      ),
    );
    fc.assert(
      fc.property(arb, ([ts, cfgPart, scenario]) => {
        for (const r of run(scenario, { ...config, ...cfgPart }, ts)) {
          for (const t of r.targets) expect(t.state.phase).not.toBe('DOWN');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('weights are never all zero, never negative, and at most the configured weight', () => {
    let failOpen = 0;
    fc.assert(
      fc.property(targetsArb.chain((ts) => fc.tuple(fc.constant(ts), configArb, scenarioArb(ts, (o, t, now) => fc.option(summaryArb(o, t, now), { nil: undefined })))), ([ts, cfgPart, scenario]) => {
        const cfg = { ...config, ...cfgPart };
        for (const r of run(scenario, cfg, ts)) {
          const ws = ts.map((t) => r.weights[t.id] ?? -1);
          expect(ws.some((w) => w > 0)).toBe(true);
          ts.forEach((t, i) => {
            expect(ws[i]).toBeGreaterThanOrEqual(0);
            expect(ws[i]).toBeLessThanOrEqual(Math.max(1, Math.round(t.weight)));
          });
          expect(r.allDown).toBe(r.targets.every((t) => t.weight === 0));
          if (r.allDown) failOpen += 1;
        }
      }),
      { numRuns: 200 },
    );
    expect(failOpen).toBeGreaterThan(0);
  });

  it('a target that went DOWN gets no weight before the hold-down and is not UP before hold-down + ramp dwells', () => {
    let recoveries = 0;
    // Per step and target a regime (mostly healthy, sometimes down for everyone, sometimes mixed), so targets
    // go DOWN and get the chance to recover within one scenario.
    const regimeFor = new Map<string, string>();
    const shape = (o: string, t: string, now: number) =>
      fc
        .record({
          regime: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'down', 'mixed'),
          failing: fc.boolean(),
          n: fc.integer({ min: 1, max: 5 }),
          ageMs: fc.integer({ min: 0, max: 20_000 }),
          present: fc.nat(9).map((x) => x > 0),
        })
        .map(({ regime: drawn, failing, n, ageMs, present }) => {
          const key = `${t}@${now}`;
          const regime = regimeFor.get(key) ?? drawn; // the first observer drawn for this step decides
          regimeFor.set(key, regime);
          if (!present) return undefined;
          const fails = regime === 'down' || (regime === 'mixed' && failing);
          return { observer: o, target: t, consecutiveFailures: fails ? n : 0, consecutiveSuccesses: fails ? 0 : n, lastAt: now - ageMs };
        });
    fc.assert(
      fc.property(targetsArb.chain((ts) => fc.tuple(fc.constant(ts), configArb, scenarioArb(ts, shape))), ([ts, cfgPart, scenario]) => {
        const cfg = { ...config, ...cfgPart };
        const enteredDown = new Map<string, number>();
        const results = run(scenario, cfg, ts);
        results.forEach((r, i) => {
          const now = scenario[i]?.now ?? Number.NaN;
          const before = i > 0 ? results[i - 1] : undefined;
          for (const t of r.targets) {
            const was = before?.targets.find((x) => x.id === t.id)?.state.phase;
            if (t.state.phase === 'DOWN') {
              if (was !== 'DOWN') enteredDown.set(t.id, now);
              expect(t.weight).toBe(0);
              continue;
            }
            const downAt = enteredDown.get(t.id);
            if (downAt === undefined) continue;
            // Any weight after a DOWN only once the hold-down has passed since it went down.
            expect(now - downAt).toBeGreaterThanOrEqual(cfg.holdDownMs);
            if (t.state.phase === 'UP' && was !== 'UP') {
              recoveries += 1;
              expect(now - downAt).toBeGreaterThanOrEqual(cfg.holdDownMs + cfg.ramp.length * cfg.rampDwellMs);
            }
          }
        });
      }),
      { numRuns: 200 },
    );
    expect(recoveries).toBeGreaterThan(10); // the property was exercised
  });
});
