import fc from 'fast-check';
import { z } from 'zod';

/**
 * Inputs for fuzzing the API contract, derived from each method's zod schema (through its JSON Schema, so the
 * contract stays the one list): values the schema accepts, drawn towards the boundaries, and garbage around them.
 */

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

/** Ids point at the few runs and experiments a fuzzed store holds most of the time, so real paths run too. */
const ID_KEYS = new Set(['runId', 'runIds', 'experimentId', 'epoch', 'from', 'to', 'indices']);

/** Values of any kind that are wrong almost everywhere: wrong types, non-finite numbers, huge and deep values. */
export function garbage(): fc.Arbitrary<unknown> {
  const deep = fc.integer({ min: 50, max: 5000 }).map((depth) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
    // fast-check's own printer recurses: a failure report names the depth instead.
    Object.defineProperty(value, fc.toStringMethod, { value: () => `<a value nested ${depth} deep>` });
    return value;
  });
  return fc.oneof(
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -0,
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MAX_SAFE_INTEGER + 2,
      1e308,
      5e-324,
      0.5,
      '',
      ' ',
      '1',
      'NaN',
      '\u0000',
      '<script>',
      "'; DROP TABLE runs; --",
      [],
      {},
    ),
    fc.string({ maxLength: 50 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.integer({ min: 100_000, max: 1_200_000 }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: 1000, max: 100_000 }).map((n) => Array.from({ length: n }, (_, i) => i + 1)),
    deep,
    // An own `__proto__` key, as JSON.parse makes it: it must be neither applied nor pollute anything.
    fc.constant(JSON.parse('{"__proto__": {"polluted": true}, "runId": 1, "constructor": {"prototype": {}}}')),
    fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: false }),
  );
}

function numberArb(schema: JsonSchema, key: string | undefined): fc.Arbitrary<number> {
  const integer = schema.type === 'integer';
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum : -1e6);
  const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum : 1e6);
  if (integer) {
    const lo = Math.ceil(schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : min);
    const hi = Math.floor(schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : max);
    const small = fc.integer({ min: Math.max(lo, Math.min(hi, 0)), max: Math.min(hi, Math.max(lo, 0) + 6) });
    const arbs = [fc.integer({ min: lo, max: hi }), fc.constantFrom(lo, hi)];
    if (key !== undefined && ID_KEYS.has(key)) arbs.push(small, small, small);
    return fc.oneof(...arbs);
  }
  const excluded = schema.exclusiveMinimum !== undefined ? [schema.exclusiveMinimum] : [];
  return fc.oneof(
    fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).filter((x) => !excluded.includes(x)),
    fc.constantFrom(...[min, max].filter((x) => !excluded.includes(x)), min + 1e-9),
  );
}

/** Values the JSON Schema accepts, drawn towards the boundaries. */
export function fromJsonSchema(schema: JsonSchema, key?: string): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return fc.oneof(...options.map((s) => fromJsonSchema(s, key)));
  switch (schema.type) {
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number':
      return numberArb(schema, key);
    case 'string': {
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.min(schema.maxLength ?? 300, 300);
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern, 'u')).filter((s) => s.length <= 40);
      return fc.oneof(
        fc.string({ minLength, maxLength }),
        fc.string({ minLength, maxLength, unit: 'grapheme' }),
        fc.constant('é'.repeat(schema.maxLength ?? 300)),
      );
    }
    case 'array': {
      if (schema.prefixItems) return fc.tuple(...schema.prefixItems.map((s) => fromJsonSchema(s, key)));
      const item = schema.items ? fromJsonSchema(schema.items, key) : fc.anything({ maxDepth: 1 });
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.min(schema.maxItems ?? 8, 8);
      const arbs: fc.Arbitrary<unknown[]>[] = [fc.array(item, { minLength, maxLength })];
      // The longest arrays the schema allows, once in a while.
      if (schema.maxItems !== undefined && schema.maxItems > 8) {
        arbs.push(fc.array(item, { minLength: schema.maxItems, maxLength: schema.maxItems }));
      }
      return fc.oneof({ arbitrary: arbs[0], weight: 6 }, ...arbs.slice(1).map((a) => ({ arbitrary: a, weight: 1 })));
    }
    case 'object': {
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, sub] of Object.entries(properties)) record[name] = fromJsonSchema(sub, name);
      const optional = Object.keys(properties).filter((k) => !required.has(k));
      const fixed = fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
      if (optional.length === 0 && schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        return fc.dictionary(fc.string({ maxLength: 12 }), fromJsonSchema(schema.additionalProperties), {
          maxKeys: 3,
        });
      }
      return fixed;
    }
    default:
      return fc.anything({ maxDepth: 2 });
  }
}

/** A method's input: valid ones from its schema, the same with one field replaced by garbage, and garbage. */
export function inputsFor(schema: z.ZodType, valid?: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as JsonSchema;
  const good = valid ?? fromJsonSchema(json);
  const broken = fc
    .tuple(good, fc.string({ maxLength: 12 }), garbage(), fc.boolean())
    .map(([value, extraKey, bad, replace]) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad;
      const keys = Object.keys(value);
      const key = replace && keys.length > 0 ? keys[extraKey.length % keys.length] : extraKey;
      return { ...value, [key]: bad };
    });
  return fc.oneof(
    { arbitrary: good, weight: 3 },
    { arbitrary: broken, weight: 3 },
    { arbitrary: garbage(), weight: 2 },
  );
}
