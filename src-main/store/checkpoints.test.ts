import { afterEach, describe, expect, it } from 'vitest';
import type { NamedArray } from '../training/protocol';
import { decodeArrays, encodeArrays, listCheckpoints, loadCheckpoint } from './checkpoints';
import { StoreError } from './errors';
import { recordEpoch } from './metrics';
import { claimNextRun, queueRuns } from './runs';
import { epochResult, openTempStore, smallConfig, type TempStore } from '../testing/store-fixtures';

let store: TempStore;
afterEach(() => store?.close());

const arrays: NamedArray[] = [
  { name: 'decoder/dense_1/kernel', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i * 0.1 - 0.5) },
  // An odd-length name puts the data start off a multiple of 4 before padding.
  { name: 'é', shape: [2], data: Float32Array.from([NaN, -Infinity]) },
  { name: 'adam/step', shape: [], data: Float32Array.from([1234]) },
  { name: 'empty', shape: [0, 5], data: new Float32Array(0) },
];

describe('encodeArrays / decodeArrays', () => {
  it('round-trips names, shapes and every float32 bit, including NaN and ±Inf', () => {
    const buf = encodeArrays(arrays);
    expect(buf.subarray(0, 4).toString('latin1')).toBe('VAEA');
    expect(buf.readUInt32LE(4)).toBe(1);
    const back = decodeArrays(buf);
    expect(back.map((a) => [a.name, a.shape])).toEqual(arrays.map((a) => [a.name, a.shape]));
    back.forEach((a, i) => {
      expect(a.data).toBeInstanceOf(Float32Array);
      expect(Buffer.from(a.data.buffer)).toEqual(Buffer.from(arrays[i].data.buffer));
    });
    // Prefix, header, padding to 4 bytes, then exactly 15 floats.
    const dataStart = Math.ceil((12 + buf.readUInt32LE(8)) / 4) * 4;
    expect(buf.length).toBe(dataStart + 15 * 4);
  });

  it('decodes from an unaligned view (as SQLite may hand back)', () => {
    const buf = encodeArrays(arrays);
    const shifted = Buffer.alloc(buf.length + 1);
    buf.copy(shifted, 1);
    expect(decodeArrays(shifted.subarray(1))[0].data).toEqual(arrays[0].data);
  });

  it('refuses arrays whose data does not fit their shape', () => {
    expect(() => encodeArrays([{ name: 'w', shape: [2, 2], data: new Float32Array(3) }])).toThrow(
      'array "w" has 3 values but shape [2,2] needs 4',
    );
    expect(() => encodeArrays([{ name: 'w', shape: [-1], data: new Float32Array(0) }])).toThrow(
      /dimensions must be integers ≥ 0/,
    );
  });

  it('names the problem of a corrupt blob', () => {
    const good = encodeArrays(arrays);
    const cases: [Buffer, RegExp][] = [
      [Buffer.alloc(5), /shorter than the 12-byte prefix/],
      [Buffer.concat([Buffer.from('PK\u0003\u0004'), good.subarray(4)]), /starts with "PK.*expected "VAEA"/],
      [
        (() => {
          const b = Buffer.from(good);
          b.writeUInt32LE(9, 4);
          return b;
        })(),
        /format version 9; this code reads version 1/,
      ],
      [
        (() => {
          const b = Buffer.from(good);
          b.writeUInt32LE(1e6, 8);
          return b;
        })(),
        /header length 1000000 runs past the end/,
      ],
      [
        (() => {
          const b = Buffer.from(good);
          b[13] = 0x7b;
          return b;
        })(),
        /unreadable header/,
      ],
      [good.subarray(0, good.length - 4), /runs past the end/],
      [Buffer.concat([good, Buffer.alloc(4)]), /4 bytes left after the last array/],
    ];
    for (const [blob, message] of cases) {
      expect(() => decodeArrays(blob)).toThrow(StoreError);
      expect(() => decodeArrays(blob)).toThrow(message);
    }
  });
});

describe('stored checkpoints', () => {
  it('lists checkpoints and loads the resume checkpoint with its optimizer state', () => {
    store = openTempStore();
    const [run] = queueRuns(store.db, { experimentName: 'e', configs: [smallConfig({ checkpointKeep: 'all' })] });
    claimNextRun(store.db, 1);
    recordEpoch(store.db, run.id, epochResult(1, 2));
    recordEpoch(store.db, run.id, epochResult(2, 2, { checkpoint: false }));
    recordEpoch(store.db, run.id, epochResult(3, 2));
    const infos = listCheckpoints(store.db, run.id);
    expect(infos.map((c) => [c.epoch, c.hasOptimizerState, c.testElbo])).toEqual([
      [1, false, -201],
      [3, true, -183],
    ]);
    expect(infos[1].bytes).toBeGreaterThan(infos[0].bytes);
    const resume = loadCheckpoint(store.db, run.id)!;
    expect(resume.epoch).toBe(3);
    expect(resume.weights[0]).toEqual({
      name: 'encoder/dense/kernel',
      shape: [3, 2],
      data: Float32Array.from([1, 2, 3, 4, 5, 3]),
    });
    expect(resume.optimizer).toEqual([{ name: 'adam/step', shape: [], data: Float32Array.from([30]) }]);
    expect(loadCheckpoint(store.db, run.id, 1)?.optimizer).toBeNull();
    expect(loadCheckpoint(store.db, run.id, 2)).toBeUndefined();
  });

  it('reports a corrupt stored checkpoint instead of returning garbage', () => {
    store = openTempStore();
    const [run] = queueRuns(store.db, { experimentName: 'e', configs: [smallConfig()] });
    claimNextRun(store.db, 1);
    recordEpoch(store.db, run.id, epochResult(1, 2));
    store.db.prepare('UPDATE checkpoints SET weights = substr(weights, 1, 20) WHERE run_id = ?').run(run.id);
    expect(() => loadCheckpoint(store.db, run.id)).toThrow(/checkpoint blob of 20 bytes is corrupt/);
  });
});
