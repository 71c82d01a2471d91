import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db';
import { listImportedDatasets } from '../store/datasets';
import { createImportHandlers, importFolderDataset } from '../workbench/import-dataset';
import { EventHub } from '../api/events';
import { readImageFolder, toGreySquare } from './image-folder';

const root = mkdtempSync(join(tmpdir(), 'vae-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A w×h PNG filled with one RGBA colour. */
function png(path: string, w: number, h: number, rgba: [number, number, number, number]): void {
  const image = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) image.data.set(rgba, 4 * i);
  writeFileSync(path, PNG.sync.write(image));
}

function jpg(path: string, w: number, h: number, grey: number): void {
  const data = Buffer.alloc(w * h * 4, grey);
  writeFileSync(path, jpeg.encode({ data, width: w, height: h }, 100).data);
}

/** label/ subfolders with `perLabel` images each, PNG and JPEG mixed, grey level = 20 × label. */
function labelledFolder(name: string, labels: string[], perLabel: number): string {
  const dir = join(root, name);
  labels.forEach((label, l) => {
    mkdirSync(join(dir, label), { recursive: true });
    for (let i = 0; i < perLabel; i++) {
      const file = join(dir, label, `img${String(i).padStart(3, '0')}`);
      if (i % 2) jpg(`${file}.jpg`, 40, 30, 20 * (l + 1));
      else png(`${file}.png`, 40, 30, [20 * (l + 1), 20 * (l + 1), 20 * (l + 1), 255]);
    }
  });
  return dir;
}

describe('greyscale and resizing', () => {
  it('averages the source area of each output pixel, with BT.601 luma and alpha over black', () => {
    // 2×2 → 1×1: the mean of four greys.
    const four = {
      width: 2,
      height: 2,
      rgba: new Uint8Array([0, 0, 0, 255, 100, 100, 100, 255, 200, 200, 200, 255, 40, 40, 40, 255]),
    };
    expect([...toGreySquare(four, 1)]).toEqual([85]);
    // Pure red is 0.299 × 255 = 76.2; half-transparent white is 127.5.
    expect([...toGreySquare({ width: 1, height: 1, rgba: new Uint8Array([255, 0, 0, 255]) }, 1)]).toEqual([76]);
    expect([...toGreySquare({ width: 1, height: 1, rgba: new Uint8Array([255, 255, 255, 128]) }, 1)]).toEqual([128]);
    // 3 wide → 2 wide: the middle column is shared half and half.
    const row = { width: 3, height: 1, rgba: new Uint8Array([0, 0, 0, 255, 90, 90, 90, 255, 180, 180, 180, 255]) };
    expect([...toGreySquare(row, 2)].slice(0, 2)).toEqual([30, 150]);
  });
});

describe('reading a folder of images', () => {
  it('labels by subfolder number, holds out every tenth image per label, and converts each to size × size', () => {
    const dir = labelledFolder('digits', ['0', '1', '7'], 10);
    const progress: number[] = [];
    const data = readImageFolder(dir, 'digits', { size: 8, onProgress: (done) => progress.push(done) });
    expect(data.train.count).toBe(27);
    expect(data.test.count).toBe(3);
    expect([...data.test.labels]).toEqual([0, 1, 7]);
    expect(data.train.height).toBe(8);
    expect(data.train.images.length).toBe(27 * 64);
    // Label 7's images are grey 60 (third folder): PNG exact, JPEG within a level or two.
    const seventh = data.train.images.subarray(18 * 64, 19 * 64);
    for (const v of seventh) expect(Math.abs(v - 60)).toBeLessThanOrEqual(2);
    expect(progress.at(-1)).toBe(30);
  });

  it('numbers label folders with names in name order, and takes train/ and test/ as given', () => {
    const named = readImageFolder(labelledFolder('shapes', ['circle', 'square'], 10), 'shapes', { size: 4 });
    expect([...new Set(named.train.labels)]).toEqual([0, 1]);
    const split = join(root, 'split');
    mkdirSync(join(split, 'train'), { recursive: true });
    mkdirSync(join(split, 'test'), { recursive: true });
    for (let i = 0; i < 3; i++) png(join(split, 'train', `${i}.png`), 5, 5, [255, 255, 255, 255]);
    png(join(split, 'test', 'a.png'), 5, 5, [0, 0, 0, 255]);
    const unlabelled = readImageFolder(split, 'split', { size: 5 });
    expect([unlabelled.train.count, unlabelled.test.count]).toEqual([3, 1]);
    expect([...unlabelled.train.labels]).toEqual([0, 0, 0]);
  });

  it('names a bad file and its problem, and refuses a size out of range', () => {
    const dir = labelledFolder('broken', ['0', '1'], 10);
    writeFileSync(join(dir, '1', 'img004.png'), 'not an image');
    expect(() => readImageFolder(dir, 'broken', { size: 28 })).toThrow(
      `${join(dir, '1', 'img004.png')}: is neither a PNG nor a JPEG (it starts with the bytes 6e 6f 74 20)`,
    );
    const truncated = labelledFolder('truncated', ['0'], 10);
    const whole = PNG.sync.write(new PNG({ width: 20, height: 20 }));
    writeFileSync(join(truncated, '0', 'img002.png'), whole.subarray(0, 40));
    expect(() => readImageFolder(truncated, 't', { size: 28 })).toThrow(/img002\.png: cannot be decoded as PNG/);
    expect(() => readImageFolder(dir, 'x', { size: 1000 })).toThrow(/image size 1000 is not allowed/);
    expect(() => readImageFolder(join(root, 'missing'), 'x', { size: 28 })).toThrow(/no such folder/);
  });
});

describe('importing a folder into the store', () => {
  it('stores the dataset once every image is good, and nothing when one is bad', () => {
    const db = openDatabase(':memory:');
    const good = labelledFolder('good', ['0', '1'], 10);
    const info = importFolderDataset(db, { id: 'my-digits', title: 'My digits', folder: good, size: 12 });
    expect(info).toMatchObject({ id: 'my-digits', trainCount: 18, testCount: 2, height: 12, width: 12 });
    const bad = labelledFolder('bad', ['0', '1'], 10);
    writeFileSync(join(bad, '0', 'img009.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]));
    expect(() => importFolderDataset(db, { id: 'bad-digits', title: 'Bad', folder: bad, size: 12 })).toThrow(
      /img009\.jpg: cannot be decoded as JPEG/,
    );
    expect(listImportedDatasets(db).map((d) => d.id)).toEqual(['my-digits']);
    db.close();
  });

  it('from the CLI: import --folder DIR --size 28', () => {
    const dir = labelledFolder('cli', ['3', '5'], 10);
    const db = join(root, 'cli.db');
    const run = spawnSync(
      process.execPath,
      [
        resolve(__dirname, '../../out/main/cli.js'),
        'import',
        '--db',
        db,
        '--id',
        'cli-digits',
        '--folder',
        dir,
        '--size',
        '28',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Imported "cli-digits": 18 train / 2 test images, 28×28, greyscale.');
    expect(run.status).toBe(0);
  });
});

describe('importImageFolder (the window’s import)', () => {
  it('imports a given folder with progress events, and says when the folder dialog was cancelled', async () => {
    const db = openDatabase(':memory:');
    const events = new EventHub();
    const progress: number[] = [];
    events.on('onImportProgress', (p) => progress.push(p.done));
    const browser = createImportHandlers({ db, events });
    const dir = labelledFolder('window', ['0', '1'], 10);
    const done = await browser.importImageFolder({ id: 'window-digits', size: 10, folder: dir });
    expect(done).toMatchObject({ folder: dir, imported: { id: 'window-digits', trainCount: 18, testCount: 2 } });
    expect(progress.at(-1)).toBe(20);
    await expect(browser.importImageFolder({ id: 'other', size: 10 })).rejects.toThrow(/give folder/);
    await expect(browser.importImageFolder({ id: 'window-digits', size: 10, folder: dir })).rejects.toThrow(
      /already used/,
    );

    const desktop = createImportHandlers({ db, events, chooseFolder: async () => null });
    expect(await desktop.importImageFolder({ id: 'cancelled', size: 10 })).toEqual({
      imported: null,
      reason: 'cancelled: no folder was chosen, nothing was imported',
    });
    expect(listImportedDatasets(db).map((d) => d.id)).toEqual(['window-digits']);
    db.close();
  });
});
