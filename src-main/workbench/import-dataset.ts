import { DATASET_ID } from '../../src-shared/config';
import { BUILTIN_DATASET_IDS, isBuiltinDatasetId } from '../data/builtin';
import type { DatasetChoice } from '../../src-shared/import';
import { DatasetIdError } from '../data/dataset';
import { readIdxImport, type IdxPaths } from '../data/load';
import { readImageFolder, readImageFolderAsync } from '../data/image-folder';
import { ApiError } from '../../src-shared/api';
import type { FolderImported } from '../../src-shared/import';
import type { EventHub } from '../api/events';
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
  checkNewId(db, input.id);
  const title = checkTitle(input.title);
  const dataset = readIdxImport(input.files, input.id);
  return saveImportedDataset(db, {
    id: input.id,
    title,
    dataset,
    sourceFiles: [input.files.trainImages, input.files.trainLabels, input.files.testImages, input.files.testLabels],
  });
}

export interface ImportContext {
  db: Database;
  events: EventHub;
  /** The desktop app's folder dialog; absent in browser mode, where the folder is given. */
  chooseFolder?: (title: string) => Promise<string | null>;
}

/** importImageFolder for both transports: decoding yields to the event loop, progress goes out as events. */
export function createImportHandlers(ctx: ImportContext) {
  return {
    importImageFolder: async (input: {
      id: string;
      title?: string;
      size: number;
      folder?: string;
    }): Promise<FolderImported> => {
      checkNewId(ctx.db, input.id);
      const title = checkTitle(input.title ?? input.id);
      let folder = input.folder ?? null;
      if (folder === null) {
        if (!ctx.chooseFolder) {
          throw new ApiError('ValidationError', 'importImageFolder: give folder, a folder of images on this machine');
        }
        folder = await ctx.chooseFolder('Choose a folder of PNG or JPEG images');
        if (folder === null) return { imported: null, reason: 'cancelled: no folder was chosen, nothing was imported' };
      }
      let lastSent = 0;
      const dataset = await readImageFolderAsync(folder, input.id, {
        size: input.size,
        onProgress: (done, total) => {
          // A few dozen events for any folder size.
          if (done === total || done - lastSent >= Math.max(1, Math.floor(total / 50))) {
            lastSent = done;
            ctx.events.emit('onImportProgress', { id: input.id, done, total });
          }
        },
      });
      // Checked again: another import may have taken the id while this one read.
      checkNewId(ctx.db, input.id);
      const imported = saveImportedDataset(ctx.db, { id: input.id, title, dataset, sourceFiles: [folder] });
      return { imported, folder };
    },
  };
}
