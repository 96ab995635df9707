import { z } from 'zod/v4';
import { fieldGiven, reportedIssues } from './issues';

/** `path: code` of each issue reported for `input`. */
function reported(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return reportedIssues(result.error.issues).map((i) => `${i.path.join('.')}: ${i.code}`);
}

describe('reportedIssues', () => {
  const state = z.object({ id: z.string().min(3), n: z.number().int().min(0) }).strict();
  const tail = z.object({ id: z.string().min(3), tail: z.literal(true) }).strict();
  const entries = z.object({ entries: z.array(z.union([state, tail])) });

  it("reports the issues of a union's first option that failed only its checks", () => {
    expect(reported(entries, { entries: [{ id: 'abc', n: -1 }] })).toEqual([
      'entries.0.n: too_small',
    ]);
    expect(reported(entries, { entries: [{ id: 'abc', n: 1.5 }] })).toEqual([
      'entries.0.n: invalid_type',
    ]);
    expect(reported(entries, { entries: [{ id: 'a', tail: true }] })).toEqual([
      'entries.0.id: too_small',
    ]);
    expect(reported(entries, { entries: [{ id: 'abc', tail: true, x: 1 }] })).toEqual([
      'entries.0: unrecognized_keys',
    ]);
  });

  it('keeps the union issue when no option came close', () => {
    expect(reported(entries, { entries: [{ id: 'abc' }] })).toEqual(['entries.0: invalid_union']);
    expect(reported(entries, { entries: [7] })).toEqual(['entries.0: invalid_union']);
  });

  it('reports a value of the wrong type once, without the length checks zod 4.0 adds', () => {
    const name = z.object({ name: z.string().min(3).max(32), tags: z.array(z.string()).max(2) });
    expect(name.safeParse({ name: ['a'], tags: 'abc' }).error?.issues).toHaveLength(4);
    expect(reported(name, { name: ['a'], tags: 'abc' })).toEqual([
      'name: invalid_type',
      'tags: invalid_type',
    ]);
  });

  it("reports one bound per field: the schema's own, not also .int()'s safe range", () => {
    const seq = z.object({ seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
    const tooBig = seq.safeParse({ seq: 1e21 });
    expect(tooBig.error?.issues).toHaveLength(2);
    expect(reportedIssues(tooBig.error?.issues ?? [])).toEqual([
      expect.objectContaining({
        code: 'too_big',
        maximum: Number.MAX_SAFE_INTEGER,
        inclusive: true,
      }),
    ]);
    expect(reported(seq, { seq: -1e21 })).toEqual(['seq: too_small']);
    expect(reportedIssues(seq.safeParse({ seq: -1e21 }).error?.issues ?? [])).toEqual([
      expect.objectContaining({ minimum: 0 }),
    ]);
  });

  it('leaves other issues alone, in order', () => {
    const two = z.object({ a: z.string().regex(/^a/).regex(/b$/), b: z.boolean() });
    expect(reported(two, { a: 'x', b: 1 })).toEqual([
      'a: invalid_format',
      'a: invalid_format',
      'b: invalid_type',
    ]);
  });
});

describe('fieldGiven', () => {
  const target = z
    .object({ to: z.string().min(3).optional(), id: z.string().min(3).optional() })
    .superRefine((_value, ctx) => {
      if (fieldGiven(ctx, 'to') === fieldGiven(ctx, 'id')) {
        ctx.addIssue({ code: 'custom', message: 'exactly one', path: ['id'] });
      }
    });

  it('counts a field sent with a value that failed its own checks as sent', () => {
    expect(reported(target, { to: 'x' })).toEqual(['to: too_small']);
    expect(reported(target, { to: 'bob' })).toEqual([]);
    expect(reported(target, {})).toEqual(['id: custom']);
    expect(reported(target, { to: 'x', id: 'abc' })).toEqual(['to: too_small', 'id: custom']);
  });
});
