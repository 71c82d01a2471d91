import { DATASET_ID } from '../../src-shared/config';
import { BUILTIN_DATASET_IDS, isBuiltinDatasetId } from '../data/builtin';
import type { DatasetChoice } from '../../src-shared/api';
import { DatasetIdError } from '../data/dataset';
import { readIdxImport, type IdxPaths } from '../data/load';
import { readImageFolder } from '../data/image-folder';
import type { Database } from '../store/db';
import { listImportedDatasets, saveImportedDataset } from '../store/datasets';

/** Importing a dataset: four idx files read, checked and stored as one imported dataset. */

export const MAX_TITLE_LENGTH = 200;

/** Throws DatasetIdError unless `id` can name a new imported dataset. */
export function checkImportId(id: string): void {
  if (!DATASET_ID.test(id)) {
    throw new DatasetIdError(
      `dataset id ${JSON.stringify(id)} is not allowed: use 1–64 characters of a–z, 0–9, '_', '.', '-', starting with a letter or digit (e.g. "kmnist" or "emnist-letters")`,
    );
  }
  if (isBuiltinDatasetId(id)) {
    throw new DatasetIdError(
      `dataset id "${id}" is taken by a built-in dataset (${BUILTIN_DATASET_IDS.join(', ')}); pick another id`,
    );
  }
}

function checkTitle(title: string): string {
  const trimmed = title.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_TITLE_LENGTH) {
    throw new DatasetIdError(
      `dataset title ${JSON.stringify(title)} is not allowed: it needs 1–${MAX_TITLE_LENGTH} characters besides spaces`,
    );
  }
  return trimmed;
}

function checkNewId(db: Database, id: string): void {
  checkImportId(id);
  const existing = listImportedDatasets(db).find((d) => d.id === id);
  if (existing !== undefined) {
    throw new DatasetIdError(
      `dataset id "${id}" is already used by the imported dataset "${existing.title}"; pick another id or delete that one first`,
    );
  }
}

/**
 * Imports a folder of PNG and JPEG images (data/image-folder.ts says how labels and splits are found), greyscale at
 * size × size. Every image is read and checked before the single write: a bad file names itself and writes nothing.
 */
export function importFolderDataset(
  db: Database,
  input: {
    id: string;
    title: string;
    folder: string;
    size: number;
    onProgress?: (done: number, total: number) => void;
  },
): DatasetChoice {
  checkNewId(db, input.id);
  const title = checkTitle(input.title);
  const dataset = readImageFolder(input.folder, input.id, { size: input.size, onProgress: input.onProgress });
  return saveImportedDataset(db, { id: input.id, title, dataset, sourceFiles: [input.folder] });
}

/**
 * Imports four idx files (plain or gzipped) into the store. Everything is read and checked before the
 * single write, so a bad file leaves the database untouched.
 */
export function importIdxDataset(db: Database, input: { id: string; title: string; files: IdxPaths }): DatasetChoice {
  checkImportId(input.id);
  const title = checkTitle(input.title);
  const existing = listImportedDatasets(db).find((d) => d.id === input.id);
  if (existing !== undefined) {
    throw new DatasetIdError(
      `dataset id "${input.id}" is already used by the imported dataset "${existing.title}"; pick another id or delete that one first`,
    );
  }
  const dataset = readIdxImport(input.files, input.id);
  return saveImportedDataset(db, {
    id: input.id,
    title,
    dataset,
    sourceFiles: [input.files.trainImages, input.files.trainLabels, input.files.testImages, input.files.testLabels],
  });
}
