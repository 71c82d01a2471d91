import { closeSync, openSync, readSync, readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { constants as zlibConstants, gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { DatasetError } from './dataset';

/**
 * The idx format of LeCun et al.'s MNIST distribution (http://yann.lecun.com/exdb/mnist/):
 * a 4-byte magic 0x00 0x00 <element type> <dim count>, then one big-endian uint32 per dimension, then the
 * elements row-major. We accept the two layouts image datasets use: unsigned bytes in 3 dims (images) and
 * unsigned bytes in 1 dim (labels). Files may be gzipped whatever their name says.
 */

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

const ALLOWED_MAGICS = '0x00000803 (images: unsigned bytes, 3 dims) or 0x00000801 (labels: unsigned bytes, 1 dim)';
const ELEMENT_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

export interface IdxImages {
  kind: 'images';
  count: number;
  height: number;
  width: number;
  /** count × height × width bytes, row-major. */
  data: Uint8Array;
}

export interface IdxLabels {
  kind: 'labels';
  count: number;
  height?: undefined;
  width?: undefined;
  data: Uint8Array;
}

export type IdxFile = IdxImages | IdxLabels;

/** What the header says, without the data. */
export type IdxHeader = Omit<IdxImages, 'data'> | Omit<IdxLabels, 'data'>;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

function gunzipOrThrow(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw corruptGzip(err, file);
  }
}

function corruptGzip(err: unknown, file: string): DatasetError {
  const message = err instanceof Error ? err.message : String(err);
  return new DatasetError(file, `corrupt gzip data (${message}); re-download or re-compress the file`);
}

/** Reads and checks the magic and dimensions; `bytes` must already be un-gzipped. */
function parseHeader(bytes: Uint8Array, file: string): IdxHeader & { headerBytes: number } {
  if (bytes.length < 4) {
    throw new DatasetError(file, `too short for an idx file: ${bytes.length} bytes, the magic number alone takes 4`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== IDX_IMAGES_MAGIC && magic !== IDX_LABELS_MAGIC) {
    throw new DatasetError(
      file,
      `not an idx image or label file: magic ${hex32(magic)}${describeMagic(magic)}; allowed are ${ALLOWED_MAGICS}`,
    );
  }
  const dims = magic & 0xff;
  const headerBytes = 4 + 4 * dims;
  if (bytes.length < headerBytes) {
    throw new DatasetError(file, `truncated header: expected ${headerBytes} bytes, found ${bytes.length}`);
  }
  const sizes: number[] = [];
  for (let i = 0; i < dims; i++) sizes.push(view.getUint32(4 + 4 * i, false));
  if (magic === IDX_LABELS_MAGIC) return { kind: 'labels', count: sizes[0], headerBytes };
  const [count, height, width] = sizes;
  if (height === 0 || width === 0) {
    throw new DatasetError(file, `images of ${height}×${width} pixels: height and width must be at least 1`);
  }
  return { kind: 'images', count, height, width, headerBytes };
}

function describeMagic(magic: number): string {
  if (magic >>> 16 !== 0) return ' (the first two bytes of an idx file are zero)';
  const type = (magic >>> 8) & 0xff;
  const dims = magic & 0xff;
  const typeName = ELEMENT_TYPES[type];
  if (typeName === undefined) return ` (unknown element type 0x${type.toString(16).padStart(2, '0')})`;
  return ` (${typeName} elements in ${dims} dims)`;
}

export function dataBytes(header: IdxHeader): number {
  return header.kind === 'images' ? header.count * header.height * header.width : header.count;
}

/**
 * Parses a whole idx file (plain or gzipped). The data is copied out of `bytes`, so the result owns its
 * memory and `bytes` can be dropped.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxFile {
  return parseInflated(isGzip(bytes) ? gunzipOrThrow(bytes, file) : bytes, file);
}

function parseInflated(raw: Uint8Array, file: string): IdxFile {
  const header = parseHeader(raw, file);
  const expected = dataBytes(header);
  const actual = raw.length - header.headerBytes;
  const what =
    header.kind === 'images' ? `${header.count} images of ${header.height}×${header.width}` : `${header.count} labels`;
  if (actual < expected) {
    throw new DatasetError(file, `truncated: the header says ${what} = ${expected} data bytes, the file has ${actual}`);
  }
  if (actual > expected) {
    throw new DatasetError(
      file,
      `${actual - expected} bytes past the end: the header says ${what} = ${expected} data bytes, the file has ${actual}`,
    );
  }
  const data = new Uint8Array(expected);
  data.set(raw.subarray(header.headerBytes));
  if (header.kind === 'images')
    return { kind: 'images', count: header.count, height: header.height, width: header.width, data };
  return { kind: 'labels', count: header.count, data };
}

function fsProblem(err: unknown, path: string): DatasetError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'ENOENT') return new DatasetError(path, 'file not found');
  if (code === 'EISDIR') return new DatasetError(path, 'is a directory, expected an idx file');
  if (code === 'EACCES' || code === 'EPERM') return new DatasetError(path, 'permission denied');
  return new DatasetError(path, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
}

function checkIsFile(isFile: boolean, path: string): void {
  if (!isFile) throw new DatasetError(path, 'is a directory or special file, expected an idx file');
}

export function readIdxFile(path: string): IdxFile {
  let bytes: Uint8Array;
  try {
    checkIsFile(statSync(path).isFile(), path);
    bytes = readFileSync(path);
  } catch (err) {
    throw err instanceof DatasetError ? err : fsProblem(err, path);
  }
  return parseIdx(bytes, path);
}

const gunzipAsync = promisify(gunzip);

/** Same as readIdxFile; gunzips on libuv's thread pool, so several files decompress in parallel. */
export async function readIdxFileAsync(path: string): Promise<IdxFile> {
  let bytes: Uint8Array;
  try {
    checkIsFile((await stat(path)).isFile(), path);
    bytes = await readFile(path);
  } catch (err) {
    throw err instanceof DatasetError ? err : fsProblem(err, path);
  }
  if (!isGzip(bytes)) return parseInflated(bytes, path);
  let raw: Uint8Array;
  try {
    raw = await gunzipAsync(bytes);
  } catch (err) {
    throw corruptGzip(err, path);
  }
  return parseInflated(raw, path);
}

/**
 * Reads only the header: 16 bytes of a plain file, or the first few KB of a gzipped one inflated without
 * requiring the stream to end. Does not check the data length (readIdxFile does).
 */
export function readIdxHeader(path: string): IdxHeader {
  let fd: number;
  try {
    checkIsFile(statSync(path).isFile(), path);
    fd = openSync(path, 'r');
  } catch (err) {
    throw err instanceof DatasetError ? err : fsProblem(err, path);
  }
  try {
    const head = new Uint8Array(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    let bytes = head.subarray(0, n);
    if (isGzip(bytes)) {
      try {
        // Z_SYNC_FLUSH returns what inflated so far instead of failing on the cut-off stream.
        bytes = gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      } catch (err) {
        throw corruptGzip(err, path);
      }
    }
    const header = parseHeader(bytes, path);
    return header.kind === 'images'
      ? { kind: 'images', count: header.count, height: header.height, width: header.width }
      : { kind: 'labels', count: header.count };
  } finally {
    closeSync(fd);
  }
}
