import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImageDataset, ImageSplit } from '../records';
import { DatasetError } from './dataset';

/**
 * A folder of PNG and JPEG images as a dataset: one subfolder per label (`digits/3/x.png` has label 3; folders that
 * are not numbers get labels 0, 1, … in name order), or images directly in the folder (unlabelled: label 0). A
 * folder with `train/` and `test/` inside gives the split; otherwise every tenth image (in name order) is a test
 * image. Each image becomes greyscale at the size asked for. Every file is read and checked before anything is
 * returned, so a bad file stops the import before it writes.
 */

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
export const MIN_IMAGE_SIZE = 4;
export const MAX_IMAGE_SIZE = 256;
/** Labels are stored as bytes. */
const MAX_LABELS = 256;
/** An image larger than this (pixels) is refused rather than decoded: it is not a training image. */
const MAX_SOURCE_PIXELS = 50_000_000;

export interface FolderImportOptions {
  /** Side of the square images made, in pixels. */
  size: number;
  /** Called after each file is decoded: done of total. */
  onProgress?: (done: number, total: number) => void;
}

interface Found {
  path: string;
  label: number;
  split: 'train' | 'test';
}

function listImages(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()))
    .map((e) => join(dir, e.name))
    .sort();
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Label per subfolder name: numbers stand for themselves, other names are numbered in order after them. */
function labelsFor(names: string[], root: string): Map<string, number> {
  const numeric = names.every((n) => /^\d{1,3}$/.test(n) && Number(n) < MAX_LABELS);
  const labels = new Map(names.map((n, i) => [n, numeric ? Number(n) : i]));
  if (labels.size > MAX_LABELS) {
    throw new DatasetError(root, `has ${labels.size} label folders; at most ${MAX_LABELS} labels fit`);
  }
  return labels;
}

/** The images of one folder (labelled by subfolder, or unlabelled), with their labels. */
function collect(dir: string, labels: Map<string, number> | null): { path: string; label: number }[] {
  if (labels === null) return listImages(dir).map((path) => ({ path, label: 0 }));
  return [...labels].flatMap(([name, label]) => {
    const sub = join(dir, name);
    try {
      return listImages(sub).map((path) => ({ path, label }));
    } catch {
      return [];
    }
  });
}

/** The images of a folder and where each goes. */
export function findImages(root: string): Found[] {
  let stat;
  try {
    stat = statSync(root);
  } catch {
    throw new DatasetError(root, 'no such folder');
  }
  if (!stat.isDirectory()) throw new DatasetError(root, 'is a file, not a folder of images');
  const top = subfolders(root);
  let found: Found[];
  if (top.includes('train') && top.includes('test')) {
    const names = [...new Set([...subfolders(join(root, 'train')), ...subfolders(join(root, 'test'))])].sort();
    const labels = names.length > 0 ? labelsFor(names, root) : null;
    found = [
      ...collect(join(root, 'train'), labels).map((f) => ({ ...f, split: 'train' as const })),
      ...collect(join(root, 'test'), labels).map((f) => ({ ...f, split: 'test' as const })),
    ];
  } else {
    const labels = top.length > 0 ? labelsFor(top, root) : null;
    // Every tenth image of each label is held out, so both splits see every label.
    const byLabel = new Map<number, number>();
    found = collect(root, labels).map((f) => {
      const k = byLabel.get(f.label) ?? 0;
      byLabel.set(f.label, k + 1);
      return { ...f, split: k % 10 === 9 ? ('test' as const) : ('train' as const) };
    });
  }
  const train = found.filter((f) => f.split === 'train').length;
  const test = found.length - train;
  if (train === 0 || test === 0) {
    throw new DatasetError(
      root,
      `found ${train} train and ${test} test images (${IMAGE_EXTENSIONS.join(', ')}); each split needs at least one. ` +
        'Put images in one subfolder per label (or directly in the folder), at least 10 of them, or in train/ and test/',
    );
  }
  return found;
}

/** RGBA pixels of a PNG or JPEG file, by its signature (not its name). */
function decode(path: string, bytes: Buffer): { width: number; height: number; rgba: Uint8Array } {
  const isPng = bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) {
    const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DatasetError(
      path,
      `is neither a PNG nor a JPEG (it starts with the bytes ${head || 'nothing: it is empty'})`,
    );
  }
  try {
    if (isPng) {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, rgba: png.data };
    }
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: image.width, height: image.height, rgba: image.data };
  } catch (error) {
    throw new DatasetError(path, `cannot be decoded as ${isPng ? 'PNG' : 'JPEG'}: ${(error as Error).message}`);
  }
}

/**
 * Greyscale (ITU-R BT.601 luma, transparency over black) resampled to size × size by averaging the source area each
 * output pixel covers (a box filter: no aliasing when shrinking, blocks when enlarging).
 */
export function toGreySquare(image: { width: number; height: number; rgba: Uint8Array }, size: number): Uint8Array {
  const { width, height, rgba } = image;
  const grey = new Float64Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const luma = 0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2];
    grey[i] = (luma * rgba[4 * i + 3]) / 255;
  }
  const out = new Uint8Array(size * size);
  const sx = width / size;
  const sy = height / size;
  for (let oy = 0; oy < size; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < size; ox++) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(height, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(width, Math.ceil(x1)); x++) {
          const w = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          sum += w * grey[y * width + x];
          area += w;
        }
      }
      out[oy * size + ox] = Math.round(area > 0 ? sum / area : 0);
    }
  }
  return out;
}

/**
 * The work of reading a folder, one step per image: the CLI runs it straight through, the app yields to its event
 * loop between steps so the window stays responsive.
 */
function* folderSteps(root: string, name: string, opts: FolderImportOptions): Generator<void, ImageDataset> {
  const { size } = opts;
  if (!Number.isInteger(size) || size < MIN_IMAGE_SIZE || size > MAX_IMAGE_SIZE) {
    throw new DatasetError(
      root,
      `image size ${JSON.stringify(size)} is not allowed: an integer from ${MIN_IMAGE_SIZE} to ${MAX_IMAGE_SIZE} (pixels per side)`,
    );
  }
  const found = findImages(root);
  let done = 0;
  function* make(files: Found[]): Generator<void, ImageSplit> {
    const images = new Uint8Array(files.length * size * size);
    const labels = new Uint8Array(files.length);
    for (const [i, file] of files.entries()) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file.path);
      } catch (error) {
        throw new DatasetError(
          file.path,
          `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
      const image = decode(file.path, bytes);
      if (image.width * image.height > MAX_SOURCE_PIXELS || image.width === 0 || image.height === 0) {
        throw new DatasetError(
          file.path,
          `is ${image.width}×${image.height} pixels; images up to ${MAX_SOURCE_PIXELS} pixels are imported`,
        );
      }
      images.set(toGreySquare(image, size), i * size * size);
      labels[i] = file.label;
      opts.onProgress?.(++done, found.length);
      yield;
    }
    return { images, labels, count: files.length, height: size, width: size };
  }
  const train = yield* make(found.filter((f) => f.split === 'train'));
  const test = yield* make(found.filter((f) => f.split === 'test'));
  return { name, train, test };
}

/** Reads, checks and converts every image of the folder; throws DatasetError naming the first bad file. */
export function readImageFolder(root: string, name: string, opts: FolderImportOptions): ImageDataset {
  const steps = folderSteps(root, name, opts);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** readImageFolder that gives the event loop a turn every `sliceMs` of decoding. */
export async function readImageFolderAsync(
  root: string,
  name: string,
  opts: FolderImportOptions,
  sliceMs = 15,
): Promise<ImageDataset> {
  const steps = folderSteps(root, name, opts);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart > sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
