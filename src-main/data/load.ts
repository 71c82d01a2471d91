import type { DatasetSource } from '../records';
import { DatasetError, type ImageDataset, type ImageSplit } from './dataset';
import { readIdxFile, readIdxFileAsync, type IdxFile } from './idx';

/** The four idx files of a dataset, by role. */
export interface IdxFileSet<T> {
  trainImages: T;
  trainLabels: T;
  testImages: T;
  testLabels: T;
}

export type IdxPaths = IdxFileSet<string>;

/** Reads a dataset whole; the training process calls this with what the parent resolved. */
export async function loadDatasetSource(source: DatasetSource): Promise<ImageDataset> {
  if (source.kind === 'idx-files') {
    const paths: IdxPaths = {
      trainImages: source.trainImages,
      trainLabels: source.trainLabels,
      testImages: source.testImages,
      testLabels: source.testLabels,
    };
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
      readIdxFileAsync(paths.trainImages),
      readIdxFileAsync(paths.trainLabels),
      readIdxFileAsync(paths.testImages),
      readIdxFileAsync(paths.testLabels),
    ]);
    return datasetFromIdx(source.name, { trainImages, trainLabels, testImages, testLabels }, paths);
  }
  return loadStoredDataset(source.dbPath, source.datasetId, source.name);
}

async function loadStoredDataset(dbPath: string, datasetId: string, name: string): Promise<ImageDataset> {
  // Loaded on demand: a training process reading a built-in dataset never loads the native SQLite module.
  const [{ openDatabase }, { loadImportedDataset }] = await Promise.all([
    import('../store/db'),
    import('../store/datasets'),
  ]);
  const db = openDatabase(dbPath, { readonly: true });
  try {
    const dataset = loadImportedDataset(db, datasetId);
    if (dataset === undefined) {
      throw new DatasetError(
        dbPath,
        `no imported dataset with id "${datasetId}"; import it again or pick another dataset`,
      );
    }
    return { ...dataset, name };
  } finally {
    db.close();
  }
}

/** Reads all four files whole and checks they make one dataset; throws DatasetError naming the bad file. */
export function readIdxImport(files: IdxPaths, name: string): ImageDataset {
  const parsed = {
    trainImages: readIdxFile(files.trainImages),
    trainLabels: readIdxFile(files.trainLabels),
    testImages: readIdxFile(files.testImages),
    testLabels: readIdxFile(files.testLabels),
  };
  return datasetFromIdx(name, parsed, files);
}

/**
 * Checks that four parsed idx files make one dataset: images and labels in their places, one label per image
 * in each split, one image size across splits, and at least one example in each split.
 */
export function datasetFromIdx(name: string, files: IdxFileSet<IdxFile>, paths: IdxPaths): ImageDataset {
  const train = splitFromIdx(files.trainImages, files.trainLabels, paths.trainImages, paths.trainLabels, 'train');
  const test = splitFromIdx(files.testImages, files.testLabels, paths.testImages, paths.testLabels, 'test');
  if (train.height !== test.height || train.width !== test.width) {
    throw new DatasetError(
      paths.testImages,
      `test images are ${test.height}×${test.width} but the train images (${paths.trainImages}) are ${train.height}×${train.width}; both splits must have one image size`,
    );
  }
  return { name, train, test };
}

function splitFromIdx(
  images: IdxFile,
  labels: IdxFile,
  imagesPath: string,
  labelsPath: string,
  split: string,
): ImageSplit {
  if (images.kind !== 'images') {
    throw new DatasetError(
      imagesPath,
      `holds ${images.count} labels (idx1, magic 0x00000801) where the ${split} images (idx3, magic 0x00000803) belong; are the files swapped?`,
    );
  }
  if (labels.kind !== 'labels') {
    throw new DatasetError(
      labelsPath,
      `holds ${labels.count} images (idx3, magic 0x00000803) where the ${split} labels (idx1, magic 0x00000801) belong; are the files swapped?`,
    );
  }
  if (images.count !== labels.count) {
    throw new DatasetError(
      imagesPath,
      `${images.count} ${split} images but ${labelsPath} has ${labels.count} labels; each image needs exactly one label`,
    );
  }
  if (images.count === 0) {
    throw new DatasetError(imagesPath, `the ${split} split has no images; it needs at least one`);
  }
  return { images: images.data, labels: labels.data, count: images.count, height: images.height, width: images.width };
}

/** The test split alone (the latent views encode and show test images; the train split is never read). */
export async function loadTestSplit(source: DatasetSource): Promise<ImageSplit> {
  if (source.kind === 'idx-files') {
    const [images, labels] = await Promise.all([
      readIdxFileAsync(source.testImages),
      readIdxFileAsync(source.testLabels),
    ]);
    return splitFromIdx(images, labels, source.testImages, source.testLabels, 'test');
  }
  return (await loadStoredDataset(source.dbPath, source.datasetId, source.name)).test;
}
