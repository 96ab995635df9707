import { ZodType, type ZodTypeAny, type ZodTypeDef } from 'zod';
import type { ZodType as ZodV3Type } from 'zod/v3';
import { ignoreOverride, type Options, zodToJsonSchema } from 'zod-to-json-schema';

export type JsonObject = Record<string, unknown>;

/**
 * Turns zod schemas into JSON Schema for the API documents, with one component per named schema.
 *
 * A schema is named when a module exports it as `<name>Schema` (`userViewSchema` -> `UserView`):
 * wherever that very schema object appears (a field, an array item, a body), the output is a
 * `$ref` to it, and `components()` holds each named schema that was referenced, once. Everything
 * else is inlined. So new protocol schemas are named without a list to keep up to date.
 *
 * Target `jsonSchema7`: its output is also valid JSON Schema 2020-12 (OpenAPI 3.1) and is what
 * AsyncAPI's default schema format is built on. The library's `jsonSchema2019-09` target would
 * write `exclusiveMinimum: true` beside `minimum` (draft-04 style), which 2019-09 and later reject.
 * (Were a tuple ever added, draft-07's `items: [...]` would need to become 2020-12's
 * `prefixItems` for OpenAPI.)
 *
 * Objects: `.strict()` ones say `additionalProperties: false`; the others (server frames and
 * answers, which may gain fields) leave it out. Refinements and transforms document their input.
 */
export class SchemaComponents {
  private readonly names = new Map<ZodTypeDef, string>();
  private readonly byName = new Map<string, ZodTypeAny>();
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
        if (!key.endsWith('Schema') || key === 'Schema' || !(value instanceof ZodType)) continue;
        // The same schema exported twice keeps its first name (in sorted order).
        const def = defOf(value);
        if (this.names.has(def)) continue;
        const name = key.charAt(0).toUpperCase() + key.slice(1, -'Schema'.length);
        if (this.byName.has(name)) throw new Error(`two different schemas are named ${name}`);
        this.names.set(def, name);
        this.byName.set(name, value);
      }
    }
  }

  /** `schema` as JSON Schema: a `$ref` when it is named, else inline (with `$ref`s inside). */
  ref(schema: ZodTypeAny): JsonObject {
    const name = this.names.get(defOf(schema));
    if (name !== undefined) return this.refTo(name);
    return this.convert(schema, true);
  }

  /** `schema` fully inlined, without any `$ref` (for a place that should stand alone). */
  inline(schema: ZodTypeAny): JsonObject {
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

  private convert(schema: ZodTypeAny, withRefs: boolean): JsonObject {
    const options: Partial<Options<'jsonSchema7'>> = {
      target: 'jsonSchema7',
      $refStrategy: 'none',
      removeAdditionalStrategy: 'strict',
      allowedAdditionalProperties: undefined,
      override: (def) => {
        // The schema being converted is written out, not referred to.
        if (!withRefs || def === defOf(schema)) return ignoreOverride;
        const name = this.names.get(def);
        return name === undefined ? ignoreOverride : this.refTo(name);
      },
    };
    // zod-to-json-schema types its input with `zod/v3`'s declaration files; with this repository's
    // `node` module resolution `zod` resolves to other files declaring the same classes, which
    // TypeScript cannot relate (TS2589). At run time they are the same module.
    const input = schema as unknown as ZodV3Type;
    const { $schema: _dialect, ...converted } = zodToJsonSchema<'jsonSchema7'>(input, options);
    return converted;
  }
}

/** A schema's definition object: the identity zod-to-json-schema knows a schema by. */
function defOf(schema: ZodTypeAny): ZodTypeDef {
  return schema._def as ZodTypeDef;
}
