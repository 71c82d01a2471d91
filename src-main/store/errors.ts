/**
 * Every failure the store reports. `code` lets the API layer pick a response (e.g. HTTP 404 / 409 / 400)
 * without parsing messages; the message names the value and what is allowed.
 */
export type StoreErrorCode =
  /** The id names nothing in this database. */
  | 'not-found'
  /** The request is valid but the current state refuses it (e.g. requeue a finished run). */
  | 'conflict'
  /** A value is malformed (e.g. an epoch's latent stats of the wrong length). */
  | 'invalid'
  /** The database file itself cannot be used by this version of the code. */
  | 'schema'
  /** A stored blob cannot be decoded. */
  | 'corrupt';

export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function runNotFound(id: number): StoreError {
  return new StoreError('not-found', `run ${id} does not exist`);
}

/** SQLite result codes that say the file cannot be written now (disk full, read-only, I/O), not that data is bad. */
const STORAGE_CODES: Record<string, string> = {
  SQLITE_FULL: 'the disk (or the database’s size limit) is full',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_CANTOPEN: 'the database file cannot be opened',
  SQLITE_PERM: 'permission to write the database was refused',
};

/**
 * When `error` is SQLite refusing to write the file (disk full, read-only, I/O error), the sentence to show, naming the
 * database and what to do; null for any other error. Nothing half-written stays: the transaction was rolled back.
 */
export function storageFailure(error: unknown, dbPath: string): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const what = STORAGE_CODES[code] ?? (code.startsWith('SQLITE_IOERR') ? 'writing the file failed (I/O error)' : null);
  if (what === null) return null;
  return (
    `cannot write to the database ${dbPath}: ${what} (SQLite: ${(error as Error).message}). ` +
    'Free space or make the file writable, then resume the run'
  );
}
