import { z } from 'zod';
import { DATASET_ID } from './config';
import { method } from './contract';

/** A dataset the picker offers: built-in ones that are installed, and imported ones. */
export interface DatasetChoice {
  id: string;
  title: string;
  kind: 'builtin' | 'imported';
  trainCount: number;
  testCount: number;
  height: number;
  width: number;
  available: boolean;
  note: string | null;
}

/** The dataset-import part of the API contract: spread into the table in api.ts. */

export const IMPORT_IMAGE_SIZE = { min: 4, max: 256, default: 28 } as const;

/** What importing a folder of images did: the new dataset, or why nothing was imported (the dialog was cancelled). */
export type FolderImported = { imported: DatasetChoice; folder: string } | { imported: null; reason: string };

export const importApi = {
  /**
   * Imports a folder of PNG and JPEG images as a dataset (one subfolder per label, or unlabelled), greyscale at
   * size × size. The desktop app asks for the folder when none is given; browser mode takes a folder on the machine
   * the server runs on. Progress arrives as onImportProgress.
   */
  importImageFolder: method<FolderImported>()(
    z
      .object({
        id: z
          .string()
          .regex(DATASET_ID, 'a dataset id is 1–64 characters of a–z, 0–9, _ . -, starting with a letter or digit'),
        title: z.string().trim().min(1).max(200).optional(),
        size: z.number().int().min(IMPORT_IMAGE_SIZE.min).max(IMPORT_IMAGE_SIZE.max).default(IMPORT_IMAGE_SIZE.default),
        folder: z.string().trim().min(1).max(4096).optional(),
      })
      .strict(),
  ),
} as const;
