/**
 * One suite for every DnsProvider adapter: strictness (as real Route 53), weights, convergence of
 * plan → apply → records, and fencing (a deposed leader's batch fails atomically).
 */
import { fenceRecordName, isEmptyChangeSet, plan, upsertOnly } from '../../shared/core/dns-plan';
import type { ChangeSet, DnsProvider, DnsRecord } from '../../shared/ports/dns-provider';

export interface DnsZoneUnderTest {
  /** Zone apex, e.g. `t1.example.com`. */
  readonly zone: string;
  /** Two handles on the same zone, as two scheduler instances (old leader, new leader) hold them. */
  readonly leaderA: DnsProvider;
  readonly leaderB: DnsProvider;
}

const EMPTY: ChangeSet = { create: [], update: [], delete: [] };

export function describeDnsProviderContract(label: string, makeZone: () => Promise<DnsZoneUnderTest>): void {
  describe(`DnsProvider contract: ${label}`, () => {
    let z: DnsZoneUnderTest;
    let fqdn: string;
    const weighted = (setId: string, weight: number, value: string, name = fqdn): DnsRecord => ({ fqdn: name, type: 'A', setId, weight, ttl: 30, values: [value] });

    beforeEach(async () => {
      z = await makeZone();
      fqdn = `mcp.${z.zone}.`;
    });

    const ok = async (p: DnsProvider, changes: ChangeSet, fence?: { expectedTerm: number; term: number }) => {
      const outcome = await p.apply(changes, fence);
      if (outcome.status !== 'success') throw new Error(`apply failed: ${outcome.error.code} ${outcome.error.message}`);
      return outcome.value;
    };

    it('round-trips weights 0, 1, 128 and 255 keyed by set identifier', async () => {
      const desired = z.leaderA.canonicalize([weighted('aws', 0, '10.0.0.1'), weighted('azure', 1, '10.0.0.2'), weighted('gcp', 128, '10.0.0.3'), weighted('spare', 255, '10.0.0.4')]);
      await ok(z.leaderA, { ...EMPTY, create: desired });
      const read = await z.leaderB.records(fqdn.toUpperCase());
      expect(read).toEqual(desired);
      expect(read.map((r) => [r.setId, r.weight])).toEqual([['aws', 0], ['azure', 1], ['gcp', 128], ['spare', 255]]);
    });

    it('converges: plan → apply → records, and the second plan is empty', async () => {
      const first = z.leaderA.canonicalize([
        weighted('aws', 100.4, '10.0.0.1', `MCP.${z.zone.toUpperCase()}`),
        weighted('azure', 300, '10.0.0.2', `mcp.${z.zone}`),
        { fqdn, type: 'A', setId: 'gcp', weight: 50, ttl: 1, values: ['10.0.0.4', '10.0.0.3', '10.0.0.3'] },
      ]);
      expect(first.map((r) => r.weight)).toEqual([100, 255, 50]);
      const c1 = plan(await z.leaderA.records(fqdn), first);
      expect(c1.create).toHaveLength(3);
      await ok(z.leaderA, c1);
      expect(isEmptyChangeSet(plan(await z.leaderA.records(fqdn), first))).toBe(true);

      // Weight move (failover of gcp), plus a record that is no longer desired.
      const second = z.leaderA.canonicalize([weighted('aws', 200, '10.0.0.1'), weighted('azure', 55, '10.0.0.2')]);
      const c2 = plan(await z.leaderA.records(fqdn), second);
      expect(c2.update.map((u) => u.next.setId)).toEqual(['aws', 'azure']);
      expect(c2.delete.map((r) => r.setId)).toEqual(['gcp']);
      expect(plan(await z.leaderA.records(fqdn), second, [upsertOnly]).delete).toEqual([]);
      await ok(z.leaderA, c2);
      const after = await z.leaderB.records(fqdn);
      expect(after).toEqual(second);
      expect(isEmptyChangeSet(plan(after, second))).toBe(true);
    });

    it("fences: after the new leader (term 2) applies, the old leader's (term 1) batch is rejected and nothing changes", async () => {
      expect(await z.leaderA.currentTerm()).toBe(0);
      const initial = z.leaderA.canonicalize([weighted('aws', 100, '10.0.0.1'), weighted('gcp', 100, '10.0.0.3')]);
      await ok(z.leaderA, plan(await z.leaderA.records(fqdn), initial), { expectedTerm: 0, term: 1 });
      expect(await z.leaderB.currentTerm()).toBe(1);
      // Same leader, same term, again: allowed (DELETE term=1, CREATE term=1).
      await ok(z.leaderA, EMPTY, { expectedTerm: 1, term: 1 });

      // Both leaders planned against the same state; the new one applies first.
      const seenByOld = await z.leaderA.records(fqdn);
      const newDesired = z.leaderB.canonicalize([weighted('aws', 255, '10.0.0.1'), weighted('gcp', 0, '10.0.0.3')]);
      const expected = await z.leaderB.currentTerm();
      await ok(z.leaderB, plan(await z.leaderB.records(fqdn), newDesired), { expectedTerm: expected, term: 2 });
      const afterNew = await z.leaderB.records(fqdn);
      expect(afterNew).toEqual(newDesired);

      // The stale leader's change set is planned from what it saw before; only its fence differs.
      const staleDesired = z.leaderA.canonicalize([weighted('aws', 0, '10.0.0.1'), weighted('gcp', 255, '10.0.0.3'), weighted('rogue', 9, '10.9.9.9')]);
      const stale = await z.leaderA.apply(plan(seenByOld, staleDesired), { expectedTerm: 1, term: 1 });
      expect(stale.status).toBe('failure');
      if (stale.status === 'failure') expect(stale.error.code).toBe('conflict');

      // Even a stale batch whose record changes would be valid on their own fails, because of the fence.
      const fenceOnly = await z.leaderA.apply({ ...EMPTY, create: z.leaderA.canonicalize([weighted('rogue', 9, '10.9.9.9')]) }, { expectedTerm: 1, term: 1 });
      expect(fenceOnly.status).toBe('failure');
      if (fenceOnly.status === 'failure') expect(fenceOnly.error.code).toBe('conflict');

      expect(await z.leaderA.records(fqdn)).toEqual(afterNew);
      expect(await z.leaderA.currentTerm()).toBe(2);
    });

    it('refuses a fence whose term is older than the term it expects (a stale leader that read the new term)', async () => {
      await ok(z.leaderB, { ...EMPTY, create: z.leaderB.canonicalize([weighted('aws', 1, '10.0.0.1')]) }, { expectedTerm: 0, term: 2 });
      const out = await z.leaderA.apply({ ...EMPTY, create: z.leaderA.canonicalize([weighted('gcp', 1, '10.0.0.3')]) }, { expectedTerm: 2, term: 1 });
      expect(out.status === 'failure' && out.error.code).toBe('conflict');
      expect((await z.leaderA.records(fqdn)).map((r) => r.setId)).toEqual(['aws']);
    });

    it('rejects a first-term claim when a term is already recorded (expectedTerm 0)', async () => {
      await ok(z.leaderA, EMPTY, { expectedTerm: 0, term: 1 });
      const out = await z.leaderB.apply(EMPTY, { expectedTerm: 0, term: 2 });
      expect(out.status === 'failure' && out.error.code).toBe('conflict');
      expect(await z.leaderB.currentTerm()).toBe(1);
    });

    it('is strict like Route 53: existing CREATE, missing or mismatched DELETE, drifted update → conflict, all or nothing', async () => {
      const [aws, gcp] = z.leaderA.canonicalize([weighted('aws', 10, '10.0.0.1'), weighted('gcp', 10, '10.0.0.3')]) as [DnsRecord, DnsRecord];
      await ok(z.leaderA, { ...EMPTY, create: [aws] });
      const before = await z.leaderA.records(fqdn);

      const cases: ChangeSet[] = [
        { ...EMPTY, create: [gcp, aws] },
        { ...EMPTY, create: [gcp], delete: [{ ...aws, setId: 'missing' }] },
        { ...EMPTY, create: [gcp], delete: [{ ...aws, values: ['10.0.0.99'] }] },
        { ...EMPTY, create: [gcp], delete: [{ ...aws, weight: 11 }] },
        { ...EMPTY, create: [gcp], update: [{ old: { ...aws, weight: 99 }, next: { ...aws, weight: 20 } }] },
      ];
      for (const changes of cases) {
        const out = await z.leaderA.apply(changes);
        expect(out.status === 'failure' && out.error.code).toBe('conflict');
        expect(await z.leaderA.records(fqdn)).toEqual(before);
      }
    });

    it('validates before sending: duplicate keys, weight range, set id, empty values, fence record, batch size', async () => {
      const aws = weighted('aws', 10, '10.0.0.1');
      const invalid: ChangeSet[] = [
        { ...EMPTY, create: [aws, { ...aws, weight: 20 }] },
        { ...EMPTY, create: [aws], delete: [aws] },
        { ...EMPTY, create: [{ ...aws, weight: 256 }] },
        { ...EMPTY, create: [{ ...aws, weight: -1 }] },
        { ...EMPTY, create: [{ ...aws, weight: 2.5 }] },
        { ...EMPTY, create: [{ ...aws, setId: '' }] },
        { ...EMPTY, create: [{ fqdn, type: 'A', setId: 'aws', ttl: 30, values: ['10.0.0.1'] }] },
        { ...EMPTY, create: [{ ...aws, values: [] }] },
        { ...EMPTY, create: [{ fqdn: fenceRecordName(z.zone), type: 'TXT', setId: '', ttl: 60, values: ['term=99'] }] },
        { ...EMPTY, create: Array.from({ length: 1000 }, (_, i) => weighted(`s${i}`, 1, '10.0.0.1')) },
      ];
      for (const changes of invalid) {
        const out = await z.leaderA.apply(changes, { expectedTerm: 0, term: 1 });
        expect(out.status === 'failure' && out.error.code).toBe('validation');
      }
      expect(await z.leaderA.records(fqdn)).toEqual([]);
      expect(await z.leaderA.currentTerm()).toBe(0);
    });

    it('treats an empty change set without fence as a no-op', async () => {
      const out = await z.leaderA.apply(EMPTY);
      expect(out).toEqual({ status: 'success', value: { changeCount: 0 } });
    });
  });
}
