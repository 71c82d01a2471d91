/** An image dataset in memory: 8-bit grey images, row-major, as read from idx files. */
export interface ImageSplit {
  /** count × height × width bytes, 0–255. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export interface ImageDataset {
  name: string;
  train: ImageSplit;
  test: ImageSplit;
}

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
