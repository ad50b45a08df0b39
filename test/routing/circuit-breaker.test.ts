import fc from 'fast-check';
import {
  CLOSED_BREAKER,
  DEFAULT_BREAKER_CONFIG,
  applyBreakers,
  breakerAt,
  breakerConfig,
  breakerPhase,
  canSend,
  coolDownFor,
  onObservation,
  onResult,
  onSend,
  windowErrorRate,
  type BreakerConfig,
  type BreakerState,
} from '../../shared/core/routing';
import { MeshgateError } from '../../shared/core/errors';
import { backend, snap } from './fixtures';

const cfg: BreakerConfig = breakerConfig({
  failureThreshold: 3,
  errorRateThreshold: 0.5,
  minRequests: 10,
  windowMs: 10_000,
  buckets: 10,
  coolDownMs: 1_000,
  maxCoolDownMs: 8_000,
  halfOpenTrials: 1,
  successesToClose: 1,
  trialTimeoutMs: 5_000,
});

const feed = (s: BreakerState, events: ReadonlyArray<[boolean, number]>, c = cfg): BreakerState =>
  events.reduce((acc, [ok, at]) => onResult(acc, { ok, at }, c), s);

const tripped = (at = 0): BreakerState => feed(CLOSED_BREAKER, [[false, at], [false, at], [false, at]]);

describe('circuit breaker', () => {
  describe('closed', () => {
    it('lets requests through and stays closed on success', () => {
      const s = feed(CLOSED_BREAKER, [[true, 0], [true, 1]]);
      expect(s.phase).toBe('closed');
      expect(canSend(s, 2, cfg)).toBe(true);
      expect(onSend(s, 2, cfg)).toBe(s);
    });

    it('opens after K consecutive failures', () => {
      const two = feed(CLOSED_BREAKER, [[false, 0], [false, 1]]);
      expect(two.phase).toBe('closed');
      const s = onResult(two, { ok: false, at: 2 }, cfg);
      expect(s).toMatchObject({ phase: 'open', openedAt: 2, until: 1_002, trips: 1, reason: 'consecutive_failures' });
      expect(canSend(s, 3, cfg)).toBe(false);
    });

    it('a success resets the consecutive count', () => {
      const s = feed(CLOSED_BREAKER, [[false, 0], [false, 1], [true, 2], [false, 3], [false, 4]]);
      expect(s).toMatchObject({ phase: 'closed', consecutiveFailures: 2 });
    });

    it('opens when the error rate over the window reaches the threshold with enough samples', () => {
      // alternate ok/fail: never 3 in a row, rate 50 % once 10 samples are in.
      const events: Array<[boolean, number]> = Array.from({ length: 10 }, (_, i) => [i % 2 === 0, i * 100]);
      const nine = feed(CLOSED_BREAKER, events.slice(0, 9));
      expect(nine.phase).toBe('closed');
      expect(windowErrorRate(nine)).toBeCloseTo(4 / 9);
      const s = feed(nine, events.slice(9));
      expect(s).toMatchObject({ phase: 'open', reason: 'error_rate' });
    });

    it('does not trip on the error rate below minRequests', () => {
      const s = feed(CLOSED_BREAKER, [[false, 0], [true, 1], [false, 2], [true, 3]]);
      expect(s.phase).toBe('closed');
    });

    it('forgets samples older than the rolling window', () => {
      const old: Array<[boolean, number]> = Array.from({ length: 9 }, (_, i) => [i % 2 === 0, i]);
      const s = feed(CLOSED_BREAKER, [...old, [false, 20_000]]);
      expect(s.phase).toBe('closed');
      expect(s.phase === 'closed' && s.window.reduce((n, b) => n + b.ok + b.failed, 0)).toBe(1);
    });

    it('counts a sample that arrives out of order in the newest bucket', () => {
      const s = feed(CLOSED_BREAKER, [[true, 5_000], [false, 1_000]]);
      expect(s.phase === 'closed' && s.window).toEqual([{ start: 5_000, ok: 1, failed: 1 }]);
    });
  });

  describe('open', () => {
    it('refuses requests until the cool-down has elapsed, then is half-open', () => {
      const s = tripped(0);
      expect(canSend(s, 999, cfg)).toBe(false);
      expect(breakerPhase(s, 999)).toBe('open');
      expect(breakerPhase(s, 1_000)).toBe('half_open');
      expect(canSend(s, 1_000, cfg)).toBe(true);
    });

    it('ignores late results and observations (a probe cannot shorten the cool-down)', () => {
      const s = tripped(0);
      expect(onResult(s, { ok: true, at: 500 }, cfg)).toBe(s);
      expect(onResult(s, { ok: false, at: 500 }, cfg)).toBe(s);
      expect(onObservation(s, { ok: true, at: 500 }, cfg)).toBe(s);
      expect(onSend(s, 500, cfg)).toBe(s);
    });
  });

  describe('half-open', () => {
    it('allows only halfOpenTrials concurrent trials', () => {
      const s = onSend(tripped(0), 1_000, cfg);
      expect(s).toMatchObject({ phase: 'half_open', inFlight: 1, lastTrialAt: 1_000 });
      expect(canSend(s, 1_001, cfg)).toBe(false);
      const three = breakerConfig({ ...cfg, halfOpenTrials: 3 });
      let t = breakerAt(tripped(0), 1_000);
      for (let i = 0; i < 3; i++) {
        expect(canSend(t, 1_000, three)).toBe(true);
        t = onSend(t, 1_000, three);
      }
      expect(canSend(t, 1_000, three)).toBe(false);
    });

    it('closes after a successful trial, with a fresh window', () => {
      const s = onResult(onSend(tripped(0), 1_000, cfg), { ok: true, at: 1_050 }, cfg);
      expect(s).toEqual(CLOSED_BREAKER);
    });

    it('needs successesToClose successes to close', () => {
      const two = breakerConfig({ ...cfg, successesToClose: 2, halfOpenTrials: 2 });
      let s = onSend(onSend(tripped(0), 1_000, two), 1_000, two);
      s = onResult(s, { ok: true, at: 1_010 }, two);
      expect(s).toMatchObject({ phase: 'half_open', successes: 1, inFlight: 1 });
      expect(canSend(s, 1_011, two)).toBe(true);
      s = onResult(s, { ok: true, at: 1_020 }, two);
      expect(s.phase).toBe('closed');
    });

    it('reopens on a failed trial with a doubled cool-down, capped', () => {
      let s = onResult(onSend(tripped(0), 1_000, cfg), { ok: false, at: 1_100 }, cfg);
      expect(s).toMatchObject({ phase: 'open', openedAt: 1_100, until: 3_100, trips: 2, reason: 'trial_failed' });
      let at = 3_100;
      for (let i = 0; i < 5; i++) {
        s = onResult(onSend(s, at, cfg), { ok: false, at }, cfg);
        if (s.phase !== 'open') throw new Error('expected open');
        at = s.until;
      }
      expect(s.phase === 'open' && s.until - s.openedAt).toBe(8_000);
      expect(coolDownFor(1, cfg)).toBe(1_000);
      expect(coolDownFor(3, cfg)).toBe(4_000);
      expect(coolDownFor(60, cfg)).toBe(8_000);
    });

    it('reclaims a trial slot whose result never arrived after trialTimeoutMs', () => {
      const s = onSend(tripped(0), 1_000, cfg);
      expect(canSend(s, 5_999, cfg)).toBe(false);
      expect(canSend(s, 6_000, cfg)).toBe(true);
      const again = onSend(s, 6_000, cfg);
      expect(again).toMatchObject({ phase: 'half_open', inFlight: 1, lastTrialAt: 6_000 });
      expect(canSend(again, 6_001, cfg)).toBe(false);
    });

    it('a successful observation counts without using a trial slot; a failed one reopens', () => {
      const two = breakerConfig({ ...cfg, successesToClose: 2 });
      const sent = onSend(tripped(0), 1_000, two);
      const observed = onObservation(sent, { ok: true, at: 1_010 }, two);
      expect(observed).toMatchObject({ phase: 'half_open', successes: 1, inFlight: 1 });
      expect(onObservation(sent, { ok: false, at: 1_010 }, two)).toMatchObject({ phase: 'open', trips: 2 });
      expect(onObservation(breakerAt(tripped(0), 1_000), { ok: true, at: 1_000 }, cfg).phase).toBe('closed');
    });
  });

  describe('observations while closed', () => {
    it('count like live results, so failing probes open the breaker without traffic', () => {
      const s = [0, 5_000, 10_000].reduce<BreakerState>((acc, at) => onObservation(acc, { ok: false, at }, cfg), CLOSED_BREAKER);
      expect(s).toMatchObject({ phase: 'open', reason: 'consecutive_failures' });
    });
  });

  it('applyBreakers marks backends whose breaker refuses as unhealthy', () => {
    const s = snap(backend('a'), backend('b'), backend('c', { healthy: false }));
    const out = applyBreakers(s, { b: tripped(0), c: CLOSED_BREAKER }, 500, cfg);
    expect(out.backends.map((b) => b.healthy)).toEqual([true, false, false]);
    expect(applyBreakers(s, { b: tripped(0) }, 1_000, cfg).backends[1]?.healthy).toBe(true);
  });

  it('validates its configuration', () => {
    expect(breakerConfig()).toEqual(DEFAULT_BREAKER_CONFIG);
    expect(() => breakerConfig({ failureThreshold: 0 })).toThrow(MeshgateError);
    expect(() => breakerConfig({ errorRateThreshold: 1.5 })).toThrow(/errorRateThreshold/);
    expect(() => breakerConfig({ coolDownMs: 10_000, maxCoolDownMs: 5_000 })).toThrow(/maxCoolDownMs/);
  });

  it('never lets more than halfOpenTrials requests in while half-open (property)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('send' as const), dt: fc.integer({ min: 0, max: 800 }) }),
      fc.record({ kind: fc.constant('result' as const), ok: fc.boolean(), dt: fc.integer({ min: 0, max: 800 }) }),
      fc.record({ kind: fc.constant('observe' as const), ok: fc.boolean(), dt: fc.integer({ min: 0, max: 800 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), fc.integer({ min: 1, max: 3 }), (steps, trials) => {
        const c = breakerConfig({ ...cfg, halfOpenTrials: trials });
        let s: BreakerState = CLOSED_BREAKER;
        let at = 0;
        for (const st of steps) {
          at += st.dt;
          if (st.kind === 'send') {
            if (canSend(s, at, c)) s = onSend(s, at, c);
          } else if (st.kind === 'result') s = onResult(s, { ok: st.ok, at }, c);
          else s = onObservation(s, { ok: st.ok, at }, c);
          if (s.phase === 'half_open') expect(s.inFlight).toBeLessThanOrEqual(trials);
          if (s.phase === 'open') expect(canSend(s, at, c)).toBe(at >= s.until);
          if (s.phase === 'closed') expect(canSend(s, at, c)).toBe(true);
        }
      }),
    );
  });
});
