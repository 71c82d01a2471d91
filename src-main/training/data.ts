import type { Binarization } from '../../src-shared/config';
import type { ImageSplit } from '../records';
import { permutation, rngFor, Stream } from './random';

/**
 * Pixels as the model sees them: scaled to [0, 1], optionally binarized. Binarization draws one Bernoulli(p = byte/255)
 * per pixel from a stream keyed by the example's index (and, for 'dynamic', the epoch), so an example looks the same
 * whatever subset or batch it lands in, and a resumed run re-draws exactly what an uninterrupted one would.
 */

const INTENSITY = Float32Array.from({ length: 256 }, (_, i) => i / 255);

export type PixelMode =
  | { kind: 'intensity' }
  | {
      kind: 'binarized';
      seed: number;
      stream: typeof Stream.binarizeTrain | typeof Stream.binarizeTest;
      epoch: number;
    };

/** Writes example `index` of `split` into out[offset … offset + H·W). */
export function writeExample(
  split: ImageSplit,
  index: number,
  mode: PixelMode,
  out: Float32Array,
  offset: number,
): void {
  const pixels = split.height * split.width;
  const source = split.images.subarray(index * pixels, (index + 1) * pixels);
  if (mode.kind === 'intensity') {
    for (let p = 0; p < pixels; p++) out[offset + p] = INTENSITY[source[p]];
    return;
  }
  const rng = rngFor(mode.seed, mode.stream, mode.epoch, index);
  // u·255 < byte  ⇔  u < byte/255: one integer draw per pixel.
  for (let p = 0; p < pixels; p++) out[offset + p] = rng.uniform() * 255 < source[p] ? 1 : 0;
}

/** Training pixels for an epoch: static binarization uses epoch 0 for every epoch, dynamic re-draws per epoch. */
export function trainPixelMode(binarization: Binarization, seed: number, epoch: number): PixelMode {
  if (binarization === 'none') return { kind: 'intensity' };
  return { kind: 'binarized', seed, stream: Stream.binarizeTrain, epoch: binarization === 'dynamic' ? epoch : 0 };
}

/** Test pixels: binarized once (same draw every epoch) under either binarization, so test curves are comparable. */
export function testPixelMode(binarization: Binarization, seed: number): PixelMode {
  if (binarization === 'none') return { kind: 'intensity' };
  return { kind: 'binarized', seed, stream: Stream.binarizeTest, epoch: 0 };
}

/** Examples `indices` of a split as one [n · H·W] array. */
export function gatherExamples(split: ImageSplit, indices: ArrayLike<number>, mode: PixelMode): Float32Array {
  const pixels = split.height * split.width;
  const out = new Float32Array(indices.length * pixels);
  for (let i = 0; i < indices.length; i++) writeExample(split, indices[i], mode, out, i * pixels);
  return out;
}

/** The training examples a run uses: the first `subset` of a seeded shuffle, or all (in order) when null. */
export function trainIndices(count: number, subset: number | null, seed: number): Uint32Array {
  if (subset === null || subset >= count) return Uint32Array.from({ length: count }, (_, i) => i);
  return permutation(rngFor(seed, Stream.subset), count).slice(0, subset);
}

/** The test examples a run uses: the first `subset`, or all. */
export function testIndices(count: number, subset: number | null): Uint32Array {
  const n = subset === null ? count : Math.min(subset, count);
  return Uint32Array.from({ length: n }, (_, i) => i);
}
