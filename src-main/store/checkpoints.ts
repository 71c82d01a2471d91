import type { CheckpointKeep } from '../../src-shared/config';
import type { CheckpointInfo } from '../../src-shared/runs';
import type { CheckpointPayload, NamedArray } from '../records';
import { statement, type Database } from './db';
import { StoreError } from './errors';
import { readMetric, requireRunState } from './run-rows';

/**
 * Weights and optimizer state as BLOBs, in a format of our own (version 1):
 *   bytes 0–3   magic "VAEA"
 *   bytes 4–7   format version, uint32 little-endian
 *   bytes 8–11  header length H, uint32 little-endian
 *   12 … 12+H   UTF-8 JSON header: { "arrays": [{ "name", "shape", "dtype": "float32" }, …] }
 *   zero padding to a multiple of 4 bytes
 *   the arrays' float32 data, little-endian, in header order
 * Independent of TF.js's own save format, so a checkpoint survives a TF.js upgrade.
 */

const MAGIC = 'VAEA';
const FORMAT_VERSION = 1;
const PREFIX_BYTES = 12;
const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

interface HeaderEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function encodeArrays(arrays: readonly NamedArray[]): Buffer {
  const entries: HeaderEntry[] = arrays.map((array) => {
    if (!Array.isArray(array.shape) || array.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new StoreError(
        'invalid',
        `array ${JSON.stringify(array.name)} has shape ${JSON.stringify(array.shape)}: dimensions must be integers ≥ 0`,
      );
    }
    if (!(array.data instanceof Float32Array)) {
      throw new StoreError('invalid', `array ${JSON.stringify(array.name)} must hold a Float32Array`);
    }
    const expected = elementCount(array.shape);
    if (array.data.length !== expected) {
      throw new StoreError(
        'invalid',
        `array ${JSON.stringify(array.name)} has ${array.data.length} values but shape ${JSON.stringify(array.shape)} needs ${expected}`,
      );
    }
    return { name: array.name, shape: [...array.shape], dtype: 'float32' };
  });
  const header = Buffer.from(JSON.stringify({ arrays: entries }), 'utf8');
  const dataStart = align4(PREFIX_BYTES + header.length);
  const totalValues = arrays.reduce((n, a) => n + a.data.length, 0);
  const buf = Buffer.alloc(dataStart + totalValues * 4);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(FORMAT_VERSION, 4);
  buf.writeUInt32LE(header.length, 8);
  header.copy(buf, PREFIX_BYTES);
  let offset = dataStart;
  for (const array of arrays) {
    if (littleEndianHost) {
      Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength).copy(buf, offset);
    } else {
      for (let i = 0; i < array.data.length; i++) buf.writeFloatLE(array.data[i], offset + i * 4);
    }
    offset += array.data.byteLength;
  }
  return buf;
}

export function decodeArrays(buf: Uint8Array): NamedArray[] {
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const corrupt = (problem: string): StoreError =>
    new StoreError('corrupt', `checkpoint blob of ${bytes.length} bytes is corrupt: ${problem}`);
  if (bytes.length < PREFIX_BYTES) throw corrupt(`shorter than the ${PREFIX_BYTES}-byte prefix`);
  const magic = bytes.toString('latin1', 0, 4);
  if (magic !== MAGIC) throw corrupt(`starts with ${JSON.stringify(magic)}, expected ${JSON.stringify(MAGIC)}`);
  const version = bytes.readUInt32LE(4);
  if (version !== FORMAT_VERSION) throw corrupt(`format version ${version}; this code reads version ${FORMAT_VERSION}`);
  const headerLength = bytes.readUInt32LE(8);
  if (PREFIX_BYTES + headerLength > bytes.length) throw corrupt(`header length ${headerLength} runs past the end`);
  let entries: HeaderEntry[];
  try {
    const header = JSON.parse(bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerLength)) as {
      arrays?: unknown;
    };
    if (!Array.isArray(header.arrays)) throw new Error('no "arrays" list');
    entries = header.arrays as HeaderEntry[];
  } catch (error) {
    throw corrupt(`unreadable header (${(error as Error).message})`);
  }
  let offset = align4(PREFIX_BYTES + headerLength);
  const arrays: NamedArray[] = [];
  for (const entry of entries) {
    if (
      typeof entry?.name !== 'string' ||
      entry.dtype !== 'float32' ||
      !Array.isArray(entry.shape) ||
      entry.shape.some((d) => !Number.isInteger(d) || d < 0)
    ) {
      throw corrupt(`bad header entry ${JSON.stringify(entry)}`);
    }
    const count = elementCount(entry.shape);
    const end = offset + count * 4;
    if (end > bytes.length) throw corrupt(`array ${JSON.stringify(entry.name)} runs past the end (needs ${end} bytes)`);
    // A copy: the result must not alias the database's buffer, and Float32Array needs 4-byte alignment.
    const data = new Float32Array(count);
    if (littleEndianHost) {
      new Uint8Array(data.buffer).set(bytes.subarray(offset, end));
    } else {
      for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(offset + i * 4);
    }
    arrays.push({ name: entry.name, shape: [...entry.shape], data });
    offset = end;
  }
  if (offset !== bytes.length) throw corrupt(`${bytes.length - offset} bytes left after the last array`);
  return arrays;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

interface CheckpointRow {
  run_id: number;
  epoch: number;
  test_elbo: number | null;
  has_optimizer: number;
  bytes: number;
  created_at: string;
}

export function listCheckpoints(db: Database, runId: number): CheckpointInfo[] {
  requireRunState(db, runId);
  const rows = statement(
    db,
    `SELECT run_id, epoch, test_elbo, optimizer IS NOT NULL AS has_optimizer,
         length(weights) + coalesce(length(optimizer), 0) AS bytes, created_at
       FROM checkpoints WHERE run_id = ? ORDER BY epoch`,
  ).all(runId) as CheckpointRow[];
  return rows.map((row) => ({
    runId: row.run_id,
    epoch: row.epoch,
    // Written with every checkpoint, so NULL is a stored NaN.
    testElbo: readMetric(row.test_elbo),
    hasOptimizerState: row.has_optimizer === 1,
    bytes: row.bytes,
    createdAt: row.created_at,
  }));
}

/**
 * One checkpoint of a run. Without an epoch: the one a resume starts from, i.e. the newest holding optimizer
 * state, or failing that the newest of all. undefined when the run has none (or not at that epoch).
 */
export function loadCheckpoint(db: Database, runId: number, epoch?: number): CheckpointPayload | undefined {
  requireRunState(db, runId);
  const row = (
    epoch === undefined
      ? statement(
          db,
          'SELECT epoch, weights, optimizer FROM checkpoints WHERE run_id = ? ORDER BY optimizer IS NOT NULL DESC, epoch DESC LIMIT 1',
        ).get(runId)
      : statement(db, 'SELECT epoch, weights, optimizer FROM checkpoints WHERE run_id = ? AND epoch = ?').get(
          runId,
          epoch,
        )
  ) as { epoch: number; weights: Buffer; optimizer: Buffer | null } | undefined;
  if (!row) return undefined;
  return {
    epoch: row.epoch,
    weights: decodeArrays(row.weights),
    optimizer: row.optimizer === null ? null : decodeArrays(row.optimizer),
  };
}

/** The epoch loadCheckpoint(db, runId) would resume from; 0 when the run has no checkpoint. */
export function resumeEpoch(db: Database, runId: number): number {
  const epoch = statement(
    db,
    'SELECT epoch FROM checkpoints WHERE run_id = ? ORDER BY optimizer IS NOT NULL DESC, epoch DESC LIMIT 1',
  )
    .pluck()
    .get(runId) as number | undefined;
  return epoch ?? 0;
}

/** Inserts one checkpoint; call inside the epoch's transaction, then applyRetention. */
export function insertCheckpoint(
  db: Database,
  runId: number,
  checkpoint: CheckpointPayload,
  testElbo: number,
  createdAt: string,
): void {
  statement(
    db,
    'INSERT INTO checkpoints (run_id, epoch, weights, optimizer, test_elbo, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(
    runId,
    checkpoint.epoch,
    encodeArrays(checkpoint.weights),
    checkpoint.optimizer === null ? null : encodeArrays(checkpoint.optimizer),
    testElbo,
    createdAt,
  );
}

/**
 * Applies a run's checkpointKeep policy ('best' = highest test ELBO). While the run can still resume
 * (not finished), the newest checkpoint with optimizer state is kept as well, whatever the policy.
 * Optimizer state (Adam's moments: twice the weights' size) is kept only on the newest checkpoint holding it.
 */
export function applyRetention(db: Database, runId: number, policy: CheckpointKeep, finished: boolean): void {
  const rows = statement(
    db,
    'SELECT epoch, test_elbo, optimizer IS NOT NULL AS has_optimizer FROM checkpoints WHERE run_id = ? ORDER BY epoch',
  ).all(runId) as { epoch: number; test_elbo: number | null; has_optimizer: number }[];
  if (rows.length === 0) return;
  const newest = rows[rows.length - 1].epoch;
  let best: number | undefined;
  let bestElbo = -Infinity;
  for (const row of rows) {
    if (row.test_elbo !== null && Number.isFinite(row.test_elbo) && (best === undefined || row.test_elbo > bestElbo)) {
      best = row.epoch;
      bestElbo = row.test_elbo;
    }
  }
  const keep = new Set<number>();
  if (policy === 'all') rows.forEach((row) => keep.add(row.epoch));
  if (policy === 'last' || policy === 'last-and-best') keep.add(newest);
  // With no finite test ELBO there is no best; the newest stands in. Ties go to the earlier epoch.
  if (policy === 'best' || policy === 'last-and-best') keep.add(best ?? newest);
  const withOptimizer = rows.filter((row) => row.has_optimizer === 1).map((row) => row.epoch);
  const newestWithOptimizer = withOptimizer[withOptimizer.length - 1];
  if (!finished && newestWithOptimizer !== undefined) keep.add(newestWithOptimizer);

  const remove = statement(db, 'DELETE FROM checkpoints WHERE run_id = ? AND epoch = ?');
  for (const row of rows) if (!keep.has(row.epoch)) remove.run(runId, row.epoch);
  const keptWithOptimizer = withOptimizer.filter((epoch) => keep.has(epoch));
  const optimizerEpoch = keptWithOptimizer[keptWithOptimizer.length - 1];
  if (optimizerEpoch !== undefined) {
    statement(
      db,
      'UPDATE checkpoints SET optimizer = NULL WHERE run_id = ? AND epoch <> ? AND optimizer IS NOT NULL',
    ).run(runId, optimizerEpoch);
  }
}
