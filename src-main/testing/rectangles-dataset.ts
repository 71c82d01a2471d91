import type { ImageDataset, ImageSplit } from '../data/dataset';
import { rngFor, Stream } from '../training/random';

/**
 * A small synthetic image dataset for engine tests: bright rectangles of random position and size on a dark
 * background, blurred at the edges, so a VAE has real structure to learn in a few epochs.
 */
export function rectanglesDataset(options: {
  train: number;
  test: number;
  height?: number;
  width?: number;
  seed?: number;
}): ImageDataset {
  const height = options.height ?? 12;
  const width = options.width ?? 12;
  const seed = options.seed ?? 0;
  const split = (count: number, part: number): ImageSplit => {
    const images = new Uint8Array(count * height * width);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const rng = rngFor(seed, Stream.init, part, i);
      const top = Math.floor(rng.uniform() * (height - 3));
      const left = Math.floor(rng.uniform() * (width - 3));
      const bottom = top + 3 + Math.floor(rng.uniform() * (height - top - 3));
      const right = left + 3 + Math.floor(rng.uniform() * (width - left - 3));
      labels[i] = (top + left) % 10;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const inside = y >= top && y < bottom && x >= left && x < right;
          const edge = inside && (y === top || y === bottom - 1 || x === left || x === right - 1);
          images[(i * height + y) * width + x] = inside ? (edge ? 160 : 250) : Math.floor(rng.uniform() * 20);
        }
      }
    }
    return { images, labels, count, height, width };
  };
  return { name: 'rectangles', train: split(options.train, 1), test: split(options.test, 2) };
}
