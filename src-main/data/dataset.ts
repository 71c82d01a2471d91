export type { ImageDataset, ImageSplit } from '../records';

/** What the picker shows: built-in datasets that are installed, and imported ones (the contract's DatasetChoice). */
export type { DatasetChoice as DatasetInfo } from '../../src-shared/api';

/** A failure reading a dataset file: names the file and what is wrong with it. */
export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** A dataset id that is malformed, unknown, already taken, or names a dataset that is not installed. */
export class DatasetIdError extends Error {
  override name = 'DatasetIdError';
}
