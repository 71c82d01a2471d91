import { builtinDatasetSource, isBuiltinDatasetId, listBuiltinDatasets } from '../data/builtin';
import type { DatasetChoice } from '../../src-shared/import';
import { DatasetIdError } from '../data/dataset';
import type { DatasetSource } from '../records';
import type { Database } from '../store/db';
import { listImportedDatasets } from '../store/datasets';

/**
 * The dataset catalog: the built-in datasets beside the ones imported into the store, and where a run reads each
 * from. It sits above data/ (the files) and store/ (the imported copies), so neither imports the other; the queue,
 * the latent engine and the use cases read it.
 */

/** Built-in datasets (installed or not, with why) followed by the imported ones. */
export function listDatasets(db: Database): DatasetChoice[] {
  return [...listBuiltinDatasets(), ...listImportedDatasets(db)];
}

/** Where the training process reads dataset `id` from: built-in idx files or the store at `dbPath`. */
export function resolveDatasetSource(db: Database, dbPath: string, id: string): DatasetSource {
  if (isBuiltinDatasetId(id)) return builtinDatasetSource(id);
  const imported = listImportedDatasets(db).find((d) => d.id === id);
  if (imported !== undefined) return { kind: 'stored', name: imported.id, dbPath, datasetId: imported.id };
  const available = listDatasets(db)
    .filter((d) => d.available)
    .map((d) => d.id);
  throw new DatasetIdError(
    `unknown dataset ${JSON.stringify(id)}; available datasets are ${available.join(', ') || 'none'}`,
  );
}
