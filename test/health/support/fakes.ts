import type { Logger } from '../../../shared/ports/logger';
import type { ProbeClient, ProbeOptions, ProbeResult, ProbeTarget } from '../../../shared/ports/probe';
import type { Clock } from '../../../shared/ports/clock';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

export class CapturingLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly base: Record<string, unknown> = {},
  ) {}
  debug(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'debug', fields: { ...this.base, ...fields }, message });
  }
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', fields: { ...this.base, ...fields }, message });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', fields: { ...this.base, ...fields }, message });
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', fields: { ...this.base, ...fields }, message });
  }
  child(fields: Record<string, unknown>): Logger {
    return new CapturingLogger(this.lines, { ...this.base, ...fields });
  }
}

/** What a fake target does when probed. */
export type Behaviour =
  | { kind: 'ok'; latencyMs?: number; status?: number }
  | { kind: 'fail'; latencyMs?: number; status?: number | null; error?: ProbeResult['error'] }
  /** Never settles, ignores timeout and signal (a broken client or a stuck socket). */
  | { kind: 'hang' }
  /** Waits until the timeout, then reports `timeout` (an honest client facing a silent server). */
  | { kind: 'timeout' }
  /** Ignores the timeout but stops when the signal aborts. */
  | { kind: 'until-abort' }
  | { kind: 'throw' };

export interface ProbeCall {
  target: ProbeTarget;
  options: ProbeOptions;
  startedAt: number;
  endedAt?: number;
}

/** A ProbeClient over virtual time; records calls and tracks concurrency overall and per target. */
export class FakeProbeClient implements ProbeClient {
  readonly calls: ProbeCall[] = [];
  active = 0;
  maxActive = 0;
  private readonly activeByTarget = new Map<string, number>();
  maxActivePerTarget = 0;

  constructor(
    private readonly clock: Clock,
    private readonly behaviour: (target: ProbeTarget, callIndex: number) => Behaviour = () => ({ kind: 'ok' }),
  ) {}

  callsFor(id: string): ProbeCall[] {
    return this.calls.filter((c) => c.target.id === id);
  }

  async probe(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
    const call: ProbeCall = { target, options, startedAt: this.clock.now() };
    const b = this.behaviour(target, this.calls.length);
    this.calls.push(call);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    const perTarget = (this.activeByTarget.get(target.id) ?? 0) + 1;
    this.activeByTarget.set(target.id, perTarget);
    this.maxActivePerTarget = Math.max(this.maxActivePerTarget, perTarget);
    try {
      switch (b.kind) {
        case 'hang':
          return await new Promise<ProbeResult>(() => undefined);
        case 'until-abort':
          await new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve(), { once: true }));
          return { ok: false, status: null, latencyMs: 0, error: 'aborted' };
        case 'throw':
          throw new Error('client bug: secret=hunter2');
        case 'timeout':
          await this.clock.sleep(options.timeoutMs);
          return { ok: false, status: null, latencyMs: options.timeoutMs, error: 'timeout' };
        case 'ok':
          await this.clock.sleep(b.latencyMs ?? 20);
          return { ok: true, status: b.status ?? 200, latencyMs: b.latencyMs ?? 20 };
        default:
          await this.clock.sleep(b.latencyMs ?? 20);
          return { ok: false, status: b.status === undefined ? 503 : b.status, latencyMs: b.latencyMs ?? 20, error: b.error ?? 'http_status' };
      }
    } finally {
      call.endedAt = this.clock.now();
      this.active -= 1;
      this.activeByTarget.set(target.id, (this.activeByTarget.get(target.id) ?? 1) - 1);
    }
  }
}

/** Deterministic uniform [0, 1) source (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
