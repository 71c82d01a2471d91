import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError } from './dataset';
import { encodeIdx } from '../testing/idx-files';
import { parseIdx, readIdxFile, readIdxFileAsync, readIdxHeader, type IdxFile } from './idx';

const dir = mkdtempSync(join(tmpdir(), 'vae-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const images: IdxFile = {
  kind: 'images',
  count: 3,
  height: 2,
  width: 4,
  data: Uint8Array.from({ length: 24 }, (_, i) => (i * 11) % 256),
};
const labels: IdxFile = { kind: 'labels', count: 3, data: Uint8Array.from([7, 0, 255]) };

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function errorOf(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError, nothing was thrown');
}

describe('parseIdx', () => {
  it('round-trips images and labels, plain and gzipped', () => {
    for (const gzip of [false, true]) {
      const img = parseIdx(encodeIdx(images, { gzip }), 'images');
      expect(img).toEqual(images);
      const lab = parseIdx(encodeIdx(labels, { gzip }), 'labels');
      expect(lab).toEqual(labels);
    }
  });

  it('writes the header LeCun et al. describe: magic 0x00000803 then big-endian sizes', () => {
    const bytes = encodeIdx(images);
    expect(Array.from(bytes.subarray(0, 16))).toEqual([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4]);
    expect(bytes.length).toBe(16 + 24);
    expect(Array.from(encodeIdx(labels).subarray(0, 8))).toEqual([0, 0, 8, 1, 0, 0, 0, 3]);
  });

  it('detects gzip by its magic bytes, not the file name', () => {
    const path = write('plain-name-but-gzipped-idx3-ubyte', encodeIdx(images, { gzip: true }));
    expect(readIdxFile(path)).toEqual(images);
    const plain = write('gzipped-name.gz', encodeIdx(labels));
    expect(readIdxFile(plain)).toEqual(labels);
  });

  it('returns data that owns its memory (not a view on the file bytes)', () => {
    const bytes = encodeIdx(images);
    const img = parseIdx(bytes, 'images');
    bytes.fill(0);
    expect(img.data).toEqual(images.data);
    expect(img.data.byteOffset).toBe(0);
    expect(img.data.buffer.byteLength).toBe(24);
  });

  it('rejects a wrong magic, naming the file, the magic found and what is allowed', () => {
    const bytes = encodeIdx(images);
    bytes[2] = 0x0d; // float32 elements
    const err = errorOf(() => parseIdx(bytes, 'floats.idx'));
    expect(err.file).toBe('floats.idx');
    expect(err.message).toContain('floats.idx');
    expect(err.message).toContain('0x00000d03');
    expect(err.message).toContain('float32');
    expect(err.message).toContain('0x00000803');
    expect(err.message).toContain('0x00000801');
  });

  it('rejects a wrong dimension count and a non-idx file', () => {
    const bytes = encodeIdx(images);
    bytes[3] = 2;
    expect(errorOf(() => parseIdx(bytes, 'two-dims')).message).toMatch(/two-dims.*0x00000802.*2 dims/);
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(errorOf(() => parseIdx(png, 'picture.png')).message).toMatch(/picture\.png.*0x89504e47/);
  });

  it('rejects truncated data, naming expected and actual bytes', () => {
    const bytes = encodeIdx(images).subarray(0, 16 + 20);
    const err = errorOf(() => parseIdx(bytes, 'cut-images'));
    expect(err.message).toContain('cut-images');
    expect(err.message).toContain('truncated');
    expect(err.message).toContain('24 data bytes');
    expect(err.message).toContain('has 20');
  });

  it('rejects a truncated header and an empty file', () => {
    expect(errorOf(() => parseIdx(encodeIdx(images).subarray(0, 10), 'short')).message).toMatch(
      /short: truncated header: expected 16 bytes, found 10/,
    );
    expect(errorOf(() => parseIdx(new Uint8Array(0), 'empty')).message).toMatch(/empty: too short/);
  });

  it('rejects bytes past the end the header declares', () => {
    const bytes = new Uint8Array(8 + 3 + 2);
    bytes.set(encodeIdx(labels));
    expect(errorOf(() => parseIdx(bytes, 'long-labels')).message).toMatch(
      /long-labels: 2 bytes past the end.*3 data bytes.*has 5/,
    );
  });

  it('rejects images with zero height or width', () => {
    const bytes = encodeIdx({ kind: 'images', count: 0, height: 0, width: 5, data: new Uint8Array(0) });
    expect(errorOf(() => parseIdx(bytes, 'flat')).message).toMatch(/flat: images of 0×5 pixels/);
  });

  it('rejects corrupt gzip: damaged body and cut-off stream', () => {
    const gz = encodeIdx(images, { gzip: true });
    const damaged = gz.slice();
    for (let i = 12; i < damaged.length - 8; i++) damaged[i] ^= 0x5a;
    expect(errorOf(() => parseIdx(damaged, 'damaged.gz')).message).toMatch(/damaged\.gz: corrupt gzip data/);
    const cut = gz.subarray(0, gz.length - 12);
    expect(errorOf(() => parseIdx(cut, 'cut.gz')).message).toMatch(/cut\.gz: corrupt gzip data/);
  });

  it('reports truncation inside a well-formed gzip stream too', () => {
    const inner = encodeIdx(images).subarray(0, 30);
    const err = errorOf(() => parseIdx(gzipSync(inner), 'cut-inside.gz'));
    expect(err.message).toMatch(/cut-inside\.gz: truncated.*24 data bytes.*has 14/);
  });
});

describe('readIdxFile', () => {
  it('names a missing file', () => {
    const path = join(dir, 'no-such-file-idx3-ubyte');
    const err = errorOf(() => readIdxFile(path));
    expect(err.file).toBe(path);
    expect(err.message).toBe(`${path}: file not found`);
  });

  it('refuses a directory', () => {
    const sub = join(dir, 'a-folder');
    mkdirSync(sub);
    expect(errorOf(() => readIdxFile(sub)).message).toMatch(/a-folder: is a directory/);
  });

  it('has an async twin with the same results and errors', async () => {
    const gz = write('async-images.gz', encodeIdx(images, { gzip: true }));
    expect(await readIdxFileAsync(gz)).toEqual(images);
    await expect(readIdxFileAsync(join(dir, 'missing'))).rejects.toThrow(/missing: file not found/);
    const bad = encodeIdx(images, { gzip: true }).subarray(0, 20);
    const badPath = write('async-bad.gz', bad);
    await expect(readIdxFileAsync(badPath)).rejects.toThrow(/async-bad\.gz: corrupt gzip data/);
    await expect(readIdxFileAsync(badPath)).rejects.toBeInstanceOf(DatasetError);
  });
});

describe('readIdxHeader', () => {
  it('reads sizes from plain and gzipped files without the data', () => {
    const big: IdxFile = {
      kind: 'images',
      count: 500,
      height: 28,
      width: 28,
      data: new Uint8Array(500 * 784).map((_, i) => (i * 7919) % 251),
    };
    for (const gzip of [false, true]) {
      const path = write(`header-${gzip}`, encodeIdx(big, { gzip }));
      expect(readIdxHeader(path)).toEqual({ kind: 'images', count: 500, height: 28, width: 28 });
    }
    expect(readIdxHeader(write('header-labels.gz', encodeIdx(labels, { gzip: true })))).toEqual({
      kind: 'labels',
      count: 3,
    });
  });

  it('names a missing file and a bad magic', () => {
    expect(() => readIdxHeader(join(dir, 'gone'))).toThrow(/gone: file not found/);
    expect(() => readIdxHeader(write('text.txt', new TextEncoder().encode('hello world, not idx')))).toThrow(
      /text\.txt: not an idx image or label file: magic 0x68656c6c/,
    );
  });
});
