import { z } from 'zod/v4';

export type JsonObject = Record<string, unknown>;

/** A zod schema as toJSONSchema's `override` hands it over (and as `.shape` holds its fields). */
type AnySchema = z.core.$ZodType;

/**
 * Turns zod schemas into JSON Schema for the API documents, with one component per named schema.
 *
 * A schema is named when a module exports it as `<name>Schema` (`userViewSchema` -> `UserView`):
 * wherever that very schema object appears (a field, an array item, a body), the output is a
 * `$ref` to it, and `components()` holds each named schema that was referenced, once. Everything
 * else is inlined. So new protocol schemas are named without a list to keep up to date.
 *
 * zod 4's `z.toJSONSchema`, target `draft-7`: its output is also valid JSON Schema 2020-12
 * (OpenAPI 3.1; it writes `exclusiveMinimum` as a number, never draft-04's boolean) and is what
 * AsyncAPI's default schema format is built on. (Were a tuple ever added, draft-07's
 * `items: [...]` would need to become 2020-12's `prefixItems` for OpenAPI.)
 *
 * `io: 'input'`: what a sender may write. Objects: `.strict()` ones say
 * `additionalProperties: false`; the others (server frames and answers, which may gain fields)
 * leave it out. Refinements and transforms document their input; a pipe between two schemas
 * (`z.coerce.number().pipe(seqSchema)`) documents both, as `allOf`. Integers carry zod 4's safe
 * range (`.int()` refuses anything beyond ±(2^53 - 1)) unless a tighter bound is given.
 */
export class SchemaComponents {
  private readonly names = new Map<AnySchema, string>();
  private readonly byName = new Map<string, AnySchema>();
  private readonly referenced = new Set<string>();

  /**
   * @param refPrefix where the components live, e.g. `#/components/schemas/`
   * @param modules module namespaces whose `*Schema` exports are named
   */
  constructor(
    private readonly refPrefix: string,
    modules: readonly Readonly<Record<string, unknown>>[],
  ) {
    for (const module of modules) {
      for (const key of Object.keys(module).sort()) {
        const value = module[key];
        if (!key.endsWith('Schema') || key === 'Schema' || !(value instanceof z.ZodType)) continue;
        // The same schema exported twice keeps its first name (in sorted order).
        if (this.names.has(value)) continue;
        const name = key.charAt(0).toUpperCase() + key.slice(1, -'Schema'.length);
        if (this.byName.has(name)) throw new Error(`two different schemas are named ${name}`);
        this.names.set(value, name);
        this.byName.set(name, value);
      }
    }
  }

  /** `schema` as JSON Schema: a `$ref` when it is named, else inline (with `$ref`s inside). */
  ref(schema: AnySchema): JsonObject {
    const name = this.names.get(schema);
    if (name !== undefined) return this.refTo(name);
    return this.convert(schema, true);
  }

  /** `schema` fully inlined, without any `$ref` (for a place that should stand alone). */
  inline(schema: AnySchema): JsonObject {
    return this.convert(schema, false);
  }

  /** Every named schema referenced so far, and those they reference, sorted by name. */
  components(): JsonObject {
    const converted = new Map<string, JsonObject>();
    for (;;) {
      const pending = [...this.referenced].filter((name) => !converted.has(name));
      if (pending.length === 0) break;
      for (const name of pending) {
        const schema = this.byName.get(name);
        if (schema === undefined) throw new Error(`no schema named ${name}`);
        converted.set(name, this.convert(schema, true));
      }
    }
    const names = [...converted.keys()].sort();
    return Object.fromEntries(names.map((name) => [name, converted.get(name)]));
  }

  private refTo(name: string): { $ref: string } {
    this.referenced.add(name);
    return { $ref: `${this.refPrefix}${name}` };
  }

  private convert(schema: AnySchema, withRefs: boolean): JsonObject {
    const { $schema: _dialect, ...converted } = z.toJSONSchema(schema, {
      target: 'draft-7',
      io: 'input',
      // Each schema is written out where it appears (a named one as a `$ref`, below), never
      // gathered into the document's own `definitions`.
      reused: 'inline',
      cycles: 'throw',
      override: ({ zodSchema, jsonSchema }) => {
        // The schema being converted is written out, not referred to.
        const name = withRefs && zodSchema !== schema ? this.names.get(zodSchema) : undefined;
        if (name !== undefined) return replace(jsonSchema, this.refTo(name));
        const def = zodSchema._zod.def;
        if (def.type === 'pipe' && !isTransform(def.in) && !isTransform(def.out)) {
          const side = (s: AnySchema) => (withRefs ? this.ref(s) : this.inline(s));
          return replace(jsonSchema, { allOf: [side(def.in), side(def.out)] });
        }
        // A wrapper around a named schema (`ticketSchema.optional()`): draft-07 writes what it
        // wraps as `allOf: [{ $ref }]`, as a `$ref` beside other keywords would be ignored.
        // With nothing beside it, the `$ref` alone says the same.
        const { allOf, ...beside } = jsonSchema;
        if (Object.keys(beside).length === 0 && Array.isArray(allOf) && allOf.length === 1) {
          const [only]: unknown[] = allOf;
          if (isRef(only)) replace(jsonSchema, only);
        }
      },
    });
    return converted;
  }
}

function isRef(value: unknown): value is { $ref: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length === 1 &&
    typeof (value as { $ref?: unknown }).$ref === 'string'
  );
}

function isTransform(schema: AnySchema): boolean {
  return schema._zod.def.type === 'transform';
}

/** Makes `target` (an object other parts of the document may share) say `content` instead. */
function replace(target: JsonObject, content: JsonObject): void {
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, content);
}
