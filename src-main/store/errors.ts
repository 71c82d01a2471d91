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
