/**
 * Polls the mesh's Route 53 zone (moto, read directly) and keeps a timeline of what it held: the fence term and
 * each cloud's weight. `waitFor(predicate)` resolves with the first sample, read after the call, that satisfies
 * it. A sample's time is when its read returned, so measured delays are slightly pessimistic (by at most one
 * poll interval plus one read).
 */
import type { Cloud, ZoneState } from '../../infra/local/mesh-lib';

export interface ZoneSample {
  readonly at: number;
  readonly term: number | null;
  readonly weights: Readonly<Partial<Record<Cloud, number>>>;
}

interface Waiter {
  readonly predicate: (sample: ZoneSample) => boolean;
  readonly resolve: (sample: ZoneSample | undefined) => void;
  readonly timer: NodeJS.Timeout;
}

const same = (a: ZoneSample, b: ZoneSample): boolean => a.term === b.term && JSON.stringify(a.weights) === JSON.stringify(b.weights);

export class ZoneWatch {
  /** Samples that differ from the one before (the first sample included). */
  readonly timeline: ZoneSample[] = [];
  latest: ZoneSample | undefined;
  reads = 0;
  readErrors = 0;
  private readonly waiters = new Set<Waiter>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<ZoneState>,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          const zone = await this.read();
          this.reads += 1;
          this.observe({ at: Date.now(), term: zone.term, weights: { ...zone.weights } });
        } catch {
          this.readErrors += 1;
        }
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(undefined);
    }
    this.waiters.clear();
  }

  /** The first sample read from now on that satisfies `predicate`; undefined after `timeoutMs`. */
  waitFor(predicate: (sample: ZoneSample) => boolean, timeoutMs: number): Promise<ZoneSample | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(undefined);
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** The sample in force at `from`, then the timeline's samples in (from, to]. */
  between(from: number, to: number): ZoneSample[] {
    const before = [...this.timeline].reverse().find((s) => s.at <= from);
    return [...(before ? [before] : []), ...this.timeline.filter((s) => s.at > from && s.at <= to)];
  }

  private observe(sample: ZoneSample): void {
    const last = this.timeline[this.timeline.length - 1];
    if (last === undefined || !same(last, sample)) this.timeline.push(sample);
    this.latest = sample;
    for (const waiter of [...this.waiters]) {
      if (!waiter.predicate(sample)) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(sample);
    }
  }
}
