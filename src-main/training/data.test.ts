import { describe, expect, it } from 'vitest';
import { gatherExamples, testIndices, testPixelMode, trainIndices, trainPixelMode } from './data';
import { permutation, rngFor, Stream } from './random';
import { rectanglesDataset } from '../testing/rectangles-dataset';

const { train } = rectanglesDataset({ train: 50, test: 10 });
const all = Array.from({ length: 50 }, (_, i) => i);

describe('pixels as the model sees them', () => {
  it("'none' scales bytes to [0, 1]", () => {
    const x = gatherExamples(train, [3], trainPixelMode('none', 0, 1));
    expect(Array.from(x.slice(0, 144))).toEqual(
      Array.from(train.images.slice(3 * 144, 4 * 144), (b) => Math.fround(b / 255)),
    );
  });

  it("'static' draws the same binary image every epoch; 'dynamic' re-draws per epoch; both are seeded", () => {
    const staticA = gatherExamples(train, all, trainPixelMode('static', 0, 1));
    const staticB = gatherExamples(train, all, trainPixelMode('static', 0, 7));
    const dynamicA = gatherExamples(train, all, trainPixelMode('dynamic', 0, 1));
    const dynamicB = gatherExamples(train, all, trainPixelMode('dynamic', 0, 2));
    expect(staticA).toEqual(staticB);
    expect(dynamicA).not.toEqual(dynamicB);
    expect(gatherExamples(train, all, trainPixelMode('dynamic', 0, 2))).toEqual(dynamicB);
    expect(gatherExamples(train, all, trainPixelMode('dynamic', 1, 2))).not.toEqual(dynamicB);
    expect(new Set(dynamicA)).toEqual(new Set([0, 1]));
  });

  it('an example binarizes the same whatever batch it lands in', () => {
    const alone = gatherExamples(train, [17], trainPixelMode('dynamic', 3, 4));
    const inBatch = gatherExamples(train, [2, 17, 9], trainPixelMode('dynamic', 3, 4));
    expect(inBatch.slice(144, 288)).toEqual(alone);
  });

  it('a pixel of intensity p is 1 with probability p', () => {
    const split = {
      images: new Uint8Array(20000).fill(64),
      labels: new Uint8Array(1),
      count: 1,
      height: 100,
      width: 200,
    };
    const x = gatherExamples(split, [0], trainPixelMode('dynamic', 0, 1));
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    // p = 64/255 ≈ 0.251; the standard error of the mean over 20 000 pixels is ≈ 0.003.
    expect(Math.abs(mean - 64 / 255)).toBeLessThan(0.012);
  });

  it('test pixels are binarized once, from their own stream', () => {
    expect(testPixelMode('dynamic', 0)).toEqual(testPixelMode('static', 0));
    expect(testPixelMode('none', 0)).toEqual({ kind: 'intensity' });
  });
});

describe('subsets', () => {
  it('trainSubset takes the first N of a seeded shuffle; testSubset the first N', () => {
    const a = trainIndices(1000, 100, 5);
    expect(a).toHaveLength(100);
    expect(new Set(a).size).toBe(100);
    expect(trainIndices(1000, 100, 5)).toEqual(a);
    expect(trainIndices(1000, 100, 6)).not.toEqual(a);
    expect(Array.from(a).some((v, i) => v !== i)).toBe(true);
    expect(Array.from(trainIndices(4, null, 5))).toEqual([0, 1, 2, 3]);
    expect(Array.from(testIndices(10, 3))).toEqual([0, 1, 2]);
  });
});

describe('random streams', () => {
  it('are keyed, reproducible and roughly standard normal', () => {
    const draw = (...key: number[]) => Array.from({ length: 5 }, rngFor(1, Stream.epsilon, ...key).normal);
    expect(draw(2, 3)).toEqual(draw(2, 3));
    expect(draw(2, 3)).not.toEqual(draw(3, 2));
    const rng = rngFor(9, Stream.epsilon);
    let sum = 0;
    let sumSq = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const v = rng.normal();
      sum += v;
      sumSq += v * v;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.02);
    expect(Array.from(permutation(rngFor(0, Stream.shuffle), 10)).sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });
});
