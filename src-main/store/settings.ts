import { backendChoices, type BackendChoice, type BackendPreference } from '../../src-shared/backends';
import { statement, writeTransaction, type Database } from './db';
import { StoreError } from './errors';

/** The backend preference the researcher saved (the UI's setting); undefined until one was saved. */
export function getBackendSetting(db: Database): BackendPreference | undefined {
  const row = statement(db, 'SELECT backend, allow_software_gpu FROM settings WHERE id = 1').get() as
    { backend: string; allow_software_gpu: number } | undefined;
  if (row === undefined) return undefined;
  // A backend this version does not know (saved by a newer one) counts as never saved, rather than failing runs.
  const backend = backendChoices.find((c) => c === row.backend);
  return backend === undefined ? undefined : { backend, allowSoftwareGpu: row.allow_software_gpu === 1 };
}

export function setBackendSetting(db: Database, preference: BackendPreference): void {
  if (!(backendChoices as readonly string[]).includes(preference.backend)) {
    throw new StoreError(
      'invalid',
      `backend = ${JSON.stringify(preference.backend)}: allowed: ${backendChoices.join(', ')}`,
    );
  }
  const backend: BackendChoice = preference.backend;
  writeTransaction(db, () =>
    statement(
      db,
      `INSERT INTO settings (id, backend, allow_software_gpu, updated_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET backend = excluded.backend, allow_software_gpu = excluded.allow_software_gpu,
         updated_at = excluded.updated_at`,
    ).run(backend, preference.allowSoftwareGpu ? 1 : 0, new Date().toISOString()),
  );
}
