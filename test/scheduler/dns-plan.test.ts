import fc from 'fast-check';
import {
  ROUTE53_LIMITS,
  applyWriteOps,
  canonicalizeRecords,
  createOnly,
  fenceRecordName,
  isEmptyChangeSet,
  normaliseFqdn,
  parseFenceValue,
  plan,
  recordKey,
  sync,
  toWriteOps,
  upsertOnly,
  validateChangeSet,
  type DnsRecord,
} from '../../shared/core/dns-plan';

const w = (setId: string, weight: number, value = `10.0.0.${setId.length}`, fqdn = 'mcp.example.com.'): DnsRecord => ({ fqdn, type: 'A', setId, weight, ttl: 30, values: [value] });
const EMPTY = { create: [], update: [], delete: [] };

describe('normaliseFqdn', () => {
  it.each([
    ['MCP.Example.COM', 'mcp.example.com.'],
    ['mcp.example.com.', 'mcp.example.com.'],
    ['mcp.example.com..', 'mcp.example.com.'],
    [' mcp.example.com ', 'mcp.example.com.'],
  ])('%s → %s', (input, expected) => expect(normaliseFqdn(input)).toBe(expected));
});

describe('plan', () => {
  it('creates, updates and deletes keyed by (fqdn, set id)', () => {
    const current = [w('aws', 100), w('gcp', 100), w('old', 5)];
    const desired = [w('aws', 100), w('gcp', 0), w('azure', 50)];
    const c = plan(current, desired);
    expect(c.create).toEqual([w('azure', 50)]);
    expect(c.update).toEqual([{ old: w('gcp', 100), next: w('gcp', 0) }]);
    expect(c.delete).toEqual([w('old', 5)]);
  });

  it('is a no-op when records are equal up to name casing, trailing dot and value order', () => {
    const current: DnsRecord[] = [{ fqdn: 'mcp.example.com.', type: 'A', setId: 'aws', weight: 10, ttl: 30, values: ['10.0.0.2', '10.0.0.1'] }];
    const desired: DnsRecord[] = [{ fqdn: 'MCP.Example.com', type: 'A', setId: 'aws', weight: 10, ttl: 30, values: ['10.0.0.1', '10.0.0.2', '10.0.0.1'] }];
    expect(isEmptyChangeSet(plan(current, desired))).toBe(true);
  });

  it('keys set ids case-sensitively, as Route 53 does', () => {
    const c = plan([w('AWS', 1)], [w('aws', 1)]);
    expect(c.create.map((r) => r.setId)).toEqual(['aws']);
    expect(c.delete.map((r) => r.setId)).toEqual(['AWS']);
  });

  it('normalises the fqdn of created and updated records and keeps the old record as read', () => {
    const old = { ...w('aws', 1), fqdn: 'MCP.example.com' };
    const c = plan([old], [{ ...w('aws', 2), fqdn: 'Mcp.Example.Com' }, { ...w('gcp', 2), fqdn: 'MCP.EXAMPLE.COM' }]);
    expect(c.create[0]?.fqdn).toBe('mcp.example.com.');
    expect(c.update).toEqual([{ old, next: { ...w('aws', 2), fqdn: 'mcp.example.com.' } }]);
  });

  it('changes type within a row as an update and deletes the row’s other types', () => {
    const a = w('aws', 1);
    const aaaa: DnsRecord = { ...a, type: 'AAAA', values: ['::1'] };
    const cname: DnsRecord = { ...a, type: 'CNAME', values: ['aws.example.net.'] };
    const c = plan([a, aaaa], [cname]);
    expect(c.update).toEqual([{ old: a, next: cname }]);
    expect(c.delete).toEqual([aaaa]);
    expect(validateChangeSet(c, ROUTE53_LIMITS)).toEqual([]);
  });

  it('detects TTL, weight, value and weighted↔simple differences', () => {
    const base = w('aws', 1);
    for (const next of [{ ...base, ttl: 60 }, { ...base, weight: 2 }, { ...base, values: ['10.9.9.9'] }]) {
      expect(plan([base], [next]).update).toHaveLength(1);
    }
    const simple: DnsRecord = { fqdn: 'x.example.com.', type: 'A', setId: '', ttl: 30, values: ['10.0.0.1'] };
    expect(plan([simple], [{ ...simple, weight: 0 }]).update).toHaveLength(1);
  });

  it('applies policies: upsertOnly never deletes, createOnly only creates', () => {
    const current = [w('aws', 1), w('old', 1)];
    const desired = [w('aws', 2), w('new', 1)];
    expect(plan(current, desired, [upsertOnly])).toEqual({ create: [w('new', 1)], update: [{ old: w('aws', 1), next: w('aws', 2) }], delete: [] });
    expect(plan(current, desired, [createOnly])).toEqual({ create: [w('new', 1)], update: [], delete: [] });
    expect(plan(current, desired, [sync])).toEqual(plan(current, desired));
    expect(plan(current, desired, [])).toEqual(plan(current, desired));
  });

  it('rejects desired records with the same (fqdn, set id) twice, and current records duplicated', () => {
    expect(() => plan([], [w('aws', 1), { ...w('aws', 2), fqdn: 'MCP.example.com' }])).toThrow(expect.objectContaining({ code: 'validation' }));
    expect(() => plan([w('aws', 1), w('aws', 1)], [])).toThrow(expect.objectContaining({ code: 'validation' }));
  });

  it('orders changes deterministically whatever the input order', () => {
    const recordArb = fc.record({
      name: fc.constantFrom('a.example.com', 'B.example.com.', 'c.example.com'),
      setId: fc.constantFrom('aws', 'azure', 'gcp', 'x'),
      weight: fc.integer({ min: 0, max: 3 }),
    });
    const setArb = fc.uniqueArray(recordArb, { selector: (r) => `${normaliseFqdn(r.name)}|${r.setId}`, maxLength: 12 });
    fc.assert(
      fc.property(setArb, setArb, fc.nat(), (cur, des, seed) => {
        const current = cur.map((r) => w(r.setId, r.weight, '10.0.0.1', r.name));
        const desired = des.map((r) => w(r.setId, r.weight + 1, '10.0.0.1', r.name));
        const shuffle = <T>(xs: T[]): T[] => xs.map((x, i) => ({ x, k: (i * 7919 + seed) % 104729 })).sort((a, b) => a.k - b.k).map((e) => e.x);
        expect(plan(shuffle(current), shuffle(desired))).toEqual(plan(current, desired));
      }),
    );
  });

  it('converges: applying the plan to the current zone yields the desired zone, and re-planning is empty', () => {
    const recordArb = fc.record({
      name: fc.constantFrom('mcp.example.com.', 'MCP.example.com', 'api.example.com.'),
      setId: fc.constantFrom('aws', 'azure', 'gcp', 'edge'),
      type: fc.constantFrom('A' as const, 'AAAA' as const),
      weight: fc.integer({ min: 0, max: 255 }),
      ttl: fc.constantFrom(30, 60),
      values: fc.uniqueArray(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'), { minLength: 1, maxLength: 3 }),
    });
    const setArb = fc.uniqueArray(recordArb, { selector: (r) => `${normaliseFqdn(r.name)}|${r.setId}`, maxLength: 8 });
    const toRecord = (r: { name: string; setId: string; type: 'A' | 'AAAA'; weight: number; ttl: number; values: string[] }): DnsRecord => ({
      fqdn: r.name,
      type: r.type,
      setId: r.setId,
      weight: r.weight,
      ttl: r.ttl,
      values: r.values,
    });
    fc.assert(
      fc.property(setArb, setArb, fc.constantFrom('replace' as const, 'upsert' as const), (cur, des, mode) => {
        const current = canonicalizeRecords(cur.map(toRecord), ROUTE53_LIMITS);
        const desired = canonicalizeRecords(des.map(toRecord), ROUTE53_LIMITS);
        const changes = plan(current, desired);
        const ops = toWriteOps(changes, 'example.com', mode);
        expect(validateChangeSet(changes, ROUTE53_LIMITS, { providerChanges: ops.length })).toEqual([]);
        const applied = applyWriteOps(new Map(current.map((r) => [recordKey(r), r])), ops);
        if (!applied.ok) throw new Error(applied.errors.join('; '));
        const after = [...applied.zone.values()];
        expect(new Map(after.map((r) => [recordKey(r), r]))).toEqual(new Map(desired.map((r) => [recordKey(r), r])));
        expect(isEmptyChangeSet(plan(after, desired))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('canonicalizeRecords', () => {
  it('clamps and rounds weights, floors TTLs, lower-cases names, sorts distinct values; idempotent', () => {
    const input: DnsRecord[] = [
      { fqdn: 'MCP.Example.com', type: 'A', setId: 'a', weight: 300, ttl: 1, values: ['10.0.0.2', '10.0.0.1', '10.0.0.2'] },
      { fqdn: 'mcp.example.com.', type: 'A', setId: 'b', weight: -4, ttl: 30.4, values: ['10.0.0.1'] },
      { fqdn: 'mcp.example.com.', type: 'A', setId: 'c', weight: 12.5, ttl: 30, values: ['10.0.0.1'] },
      { fqdn: 'mcp.example.com.', type: 'A', setId: 'd', weight: Number.NaN, ttl: Number.NaN, values: ['10.0.0.1'] },
      { fqdn: 'x.example.com', type: 'A', setId: '', ttl: 300, values: ['10.0.0.1'] },
    ];
    const out = canonicalizeRecords(input, ROUTE53_LIMITS);
    expect(out.map((r) => [r.fqdn, r.weight, r.ttl, r.values])).toEqual([
      ['mcp.example.com.', 255, 5, ['10.0.0.1', '10.0.0.2']],
      ['mcp.example.com.', 0, 30, ['10.0.0.1']],
      ['mcp.example.com.', 13, 30, ['10.0.0.1']],
      ['mcp.example.com.', 0, 5, ['10.0.0.1']],
      ['x.example.com.', undefined, 300, ['10.0.0.1']],
    ]);
    expect('weight' in (out[4] as object)).toBe(false);
    expect(canonicalizeRecords(out, ROUTE53_LIMITS)).toEqual(out);
  });
});

describe('validateChangeSet', () => {
  it('accepts a valid set and names each problem of an invalid one', () => {
    expect(validateChangeSet({ ...EMPTY, create: [w('aws', 1)] }, ROUTE53_LIMITS)).toEqual([]);
    const problems = validateChangeSet(
      {
        create: [{ ...w('a', 256) }, { ...w('b', 1), setId: '' }, { ...w('c', 1), values: [] }, { fqdn: 'x.example.com', type: 'CNAME', setId: '', ttl: 30, values: ['a.', 'b.'] }],
        update: [{ old: w('d', 1), next: { ...w('d', 1), fqdn: 'other.example.com.' } }],
        delete: [w('a', 1)],
      },
      ROUTE53_LIMITS,
      { reservedNames: ['mcp.example.com'] },
    );
    expect(problems.join('\n')).toMatch(/weight 256 outside 0-255/);
    expect(problems.join('\n')).toMatch(/needs a set identifier/);
    expect(problems.join('\n')).toMatch(/empty values/);
    expect(problems.join('\n')).toMatch(/CNAME holds one value/);
    expect(problems.join('\n')).toMatch(/must keep fqdn and set id/);
    expect(problems.join('\n')).toMatch(/more than once/);
    expect(problems.join('\n')).toMatch(/reserved for the fence/);
  });
});

describe('fencing writes', () => {
  it('puts the old fence DELETE first and the new fence CREATE before the records, in one batch', () => {
    const changes = { create: [w('new', 1)], update: [{ old: w('aws', 1), next: w('aws', 2) }], delete: [w('old', 1)] };
    const ops = toWriteOps(changes, 'Example.com', 'replace', { expectedTerm: 3, term: 4 });
    expect(ops.map((o) => `${o.action} ${o.record.fqdn} ${o.record.setId || o.record.values.join()}`)).toEqual([
      'DELETE _meshgate-term.example.com. term=3',
      'DELETE mcp.example.com. old',
      'DELETE mcp.example.com. aws',
      'CREATE _meshgate-term.example.com. term=4',
      'CREATE mcp.example.com. aws',
      'CREATE mcp.example.com. new',
    ]);
    expect(toWriteOps(changes, 'example.com', 'upsert').map((o) => o.action)).toEqual(['DELETE', 'CREATE', 'UPSERT']);
    expect(toWriteOps(EMPTY, 'example.com', 'replace', { expectedTerm: 0, term: 1 }).map((o) => o.action)).toEqual(['CREATE']);
  });

  it('refuses a term older than the expected one, and malformed fences', () => {
    expect(() => toWriteOps(EMPTY, 'example.com', 'replace', { expectedTerm: 5, term: 4 })).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => toWriteOps(EMPTY, 'example.com', 'replace', { expectedTerm: 0, term: 0 })).toThrow(expect.objectContaining({ code: 'validation' }));
    expect(() => toWriteOps(EMPTY, 'example.com', 'replace', { expectedTerm: 1.5, term: 2 })).toThrow(expect.objectContaining({ code: 'validation' }));
  });

  it('a stale fence fails the whole batch on a Route 53-like zone image', () => {
    const zone = new Map<string, DnsRecord>();
    const first = applyWriteOps(zone, toWriteOps({ ...EMPTY, create: [w('aws', 1)] }, 'example.com', 'replace', { expectedTerm: 0, term: 1 }));
    if (!first.ok) throw new Error('first apply failed');
    const second = applyWriteOps(first.zone, toWriteOps(EMPTY, 'example.com', 'replace', { expectedTerm: 1, term: 2 }));
    if (!second.ok) throw new Error('second apply failed');
    const stale = applyWriteOps(second.zone, toWriteOps({ ...EMPTY, create: [w('gcp', 1)] }, 'example.com', 'replace', { expectedTerm: 1, term: 1 }));
    expect(stale).toEqual({ ok: false, errors: [expect.stringMatching(/do not match the current values/), expect.stringMatching(/already exists/)] });
    expect(second.zone.get(recordKey({ fqdn: fenceRecordName('example.com'), type: 'TXT', setId: '' }))?.values).toEqual(['term=2']);
  });

  it('parses fence values', () => {
    expect(parseFenceValue('term=12')).toBe(12);
    expect(parseFenceValue('"term=12"')).toBe(12);
    expect(parseFenceValue('term=')).toBeUndefined();
    expect(parseFenceValue('hello')).toBeUndefined();
  });
});
