import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import fc from 'fast-check';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, ApiError, methodNames, type MethodName } from '../../src-shared/api';
import { experimentConfigSchema } from '../../src-shared/config';
import { decodeJson, encodeJson } from '../../src-shared/contract';
import { startServer, type RunningServer } from '../server/server';
import { fromJsonSchema, garbage, inputsFor } from '../testing/schema-arbitrary';
import { addSyntheticRuns, syntheticTraining } from '../testing/synthetic-runs';
import { openWorkbench, type Workbench } from '../workbench/workbench';
import { defaultConfig } from '../../src-shared/config';
import { queueRuns } from '../store/runs';

/**
 * Every method of the API contract, on both transports, fed random and boundary inputs from its schema and garbage
 * around them: each call answers a valid result or a named error, the process stays up, and a refused call changes
 * no table. Nothing trains (the queue is not worked) and the latent process is a double that refuses.
 */

/** Error names a refused call may carry; anything else (TypeError, RangeError, a 500) is a bug. */
const NAMED_ERRORS = new Set([
  'UnknownMethod',
  'ValidationError',
  'ConfigError',
  'NotFound',
  'StateError',
  'StoreError',
  'ReportError',
  'PayloadTooLarge',
  'LatentError',
  'DatasetError',
  'DatasetIdError',
]);

/** Calls per method and transport: about 25 s for the suite on a loaded 2-core machine. */
const RUNS_PER_METHOD = Number(process.env.FUZZ_RUNS ?? 30);

/** A digest of every table, row by row: equal digests mean nothing was written. */
function checksum(db: Database): string {
  const hash = createHash('sha256');
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
  for (const table of tables) {
    hash.update(`\n#${table}\n`);
    // Some tables are WITHOUT ROWID: rows are digested one by one and sorted, so the order they come in is moot.
    const rows: string[] = [];
    for (const row of db.prepare(`SELECT * FROM "${table}"`).raw().iterate() as Iterable<unknown[]>) {
      const h = createHash('sha256');
      for (const cell of row) h.update(cell instanceof Uint8Array ? cell : `${typeof cell}:${String(cell)}|`);
      rows.push(h.digest('hex'));
    }
    hash.update(rows.sort().join(','));
  }
  return hash.digest('hex');
}

/** A few finished runs with epochs and images, and two queued ones, so ids in the fuzzed inputs often name something. */
function seed(db: Database): void {
  addSyntheticRuns(db, { runs: 3, epochs: 2 });
  queueRuns(db, { experimentName: 'queued', configs: [defaultConfig, { ...defaultConfig, beta: 4 }] });
}

/** Sweeps that are often valid: a partial config as the base, up to two axes of up to three values. */
function sweepInputs(): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(experimentConfigSchema.partial(), { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, Parameters<typeof fromJsonSchema>[0]>;
  };
  const props = json.properties;
  const keys = Object.keys(props);
  const base = fc
    .subarray(keys, { maxLength: 4 })
    .chain((chosen) => fc.record(Object.fromEntries(chosen.map((k) => [k, fromJsonSchema(props[k], k)]))));
  const axes = fc
    .subarray(keys, { maxLength: 2 })
    .chain((chosen) =>
      fc.record(
        Object.fromEntries(
          chosen.map((k) => [k, fc.array(fromJsonSchema(props[k], k), { minLength: 1, maxLength: 3 })]),
        ),
      ),
    );
  return fc.record({
    experimentName: fc.oneof(fc.string({ minLength: 1, maxLength: 200 }), fc.constant('fuzz')),
    sweep: fc.record({ base, axes }),
  });
}

function inputArbitrary(method: MethodName): fc.Arbitrary<unknown> {
  return inputsFor(api[method].input, method === 'queueSweep' ? sweepInputs() : undefined);
}

type Outcome = { ok: true } | { ok: false; name: string; message: string };

/** Checks one call: a result or a named error with a message; a refused call leaves every table as it was. */
async function checkCall(db: Database, call: () => Promise<Outcome>, label: string): Promise<void> {
  const before = checksum(db);
  const outcome = await call();
  if (outcome.ok) return;
  expect(NAMED_ERRORS, `${label}: ${outcome.name}: ${outcome.message}`).toContain(outcome.name);
  expect(outcome.message.length, label).toBeGreaterThan(0);
  expect(checksum(db), `${label} was refused (${outcome.name}) but changed the store`).toBe(before);
}

function describeInput(input: unknown): string {
  const text = (() => {
    try {
      return encodeJson(input) ?? String(input);
    } catch {
      return String(input);
    }
  })();
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} chars)` : text;
}

/** The request body for an input; one too deep for JSON.stringify is sent as the same nesting, written out. */
function bodyOf(input: unknown): string {
  try {
    return encodeJson(input) ?? '';
  } catch {
    return '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
  }
}

const refusingLatent = () => {
  throw new ApiError('LatentError', 'no latent process in the fuzzing suite');
};

describe('the API contract under hostile input', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vaew-fuzz-'));
  });
  afterAll(() => {
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('in process (the dispatcher behind IPC and the CLI)', () => {
    let wb: Workbench;
    beforeAll(() => {
      wb = openWorkbench({
        dbPath: join(dir, 'dispatch.db'),
        spawn: () => syntheticTraining({ epochMs: 10 }),
        spawnLatent: refusingLatent,
        transport: 'ipc',
        version: '0.0.0-fuzz',
        workQueue: false,
      });
      seed(wb.db);
    });
    afterAll(() => wb.close());

    it.each(methodNames)('%s', async (method) => {
      await fc.assert(
        fc.asyncProperty(inputArbitrary(method), async (input) => {
          await checkCall(
            wb.db,
            async () => {
              try {
                await wb.dispatch(method, input);
                return { ok: true };
              } catch (error) {
                expect(error, `${method}(${describeInput(input)}) threw a non-ApiError`).toBeInstanceOf(ApiError);
                return { ok: false, name: (error as ApiError).name, message: (error as ApiError).message };
              }
            },
            `${method}(${describeInput(input)})`,
          );
        }),
        { numRuns: RUNS_PER_METHOD, endOnFailure: true },
      );
    });

    it('refuses names outside the contract, whatever they are', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ maxLength: 30 }), garbage()), async (name) => {
          fc.pre(!(typeof name === 'string' && (methodNames as string[]).includes(name)));
          await expect(wb.dispatch(name, {})).rejects.toMatchObject({ name: 'UnknownMethod' });
        }),
        { numRuns: 50, endOnFailure: true },
      );
    });
  });

  describe('over HTTP (a real server)', () => {
    let server: RunningServer;
    let reader: Database;
    beforeAll(async () => {
      const dbPath = join(dir, 'http.db');
      server = await startServer({
        dbPath,
        port: 0,
        spawn: () => syntheticTraining({ epochMs: 10 }),
        spawnLatent: refusingLatent,
        workQueue: false,
      });
      // The server's store is read through a second connection; it sees every committed write.
      const writer = new BetterSqlite3(dbPath);
      seed(writer);
      writer.close();
      reader = new BetterSqlite3(dbPath, { readonly: true });
    });
    afterAll(async () => {
      reader?.close();
      await server?.close();
    });

    const post = async (path: string, body: string): Promise<Outcome> => {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-workbench-token': server.token },
        body,
      });
      const text = await res.text();
      const reply = decodeJson(text) as { result?: unknown; error?: { name: string; message: string } };
      if (res.status === 200) {
        expect(reply).toHaveProperty('result');
        return { ok: true };
      }
      // A 5xx is allowed only with a named error (the latent process being unavailable is the server's fault).
      expect(reply.error, `${path} answered ${res.status}: ${text.slice(0, 300)}`).toBeDefined();
      return { ok: false, name: reply.error!.name, message: reply.error!.message };
    };

    it.each(methodNames)('%s', async (method) => {
      await fc.assert(
        fc.asyncProperty(inputArbitrary(method), async (input) => {
          const body = bodyOf(input);
          await checkCall(reader, () => post(`/api/${method}`, body), `POST /api/${method} ${describeInput(input)}`);
        }),
        { numRuns: RUNS_PER_METHOD, endOnFailure: true },
      );
    });

    it('answers bodies that are not JSON, or JSON nested deeper than any parser should go', async () => {
      const bodies = fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.integer({ min: 1000, max: 200_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
        fc.integer({ min: 1000, max: 100_000 }).map((n) => '{"runId":'.repeat(n) + '1' + '}'.repeat(n)),
        fc.constantFrom('{"runId": NaN}', '{"runId": 1e999}', '{"__proto__": {"polluted": true}}', '\u0000', 'null'),
      );
      await fc.assert(
        fc.asyncProperty(bodies, fc.constantFrom(...methodNames), async (body, method) => {
          await checkCall(reader, () => post(`/api/${method}`, body), `POST /api/${method} raw ${body.slice(0, 80)}`);
        }),
        { numRuns: 60, endOnFailure: true },
      );
    });
  });
});
