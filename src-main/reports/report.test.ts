import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordEpoch } from '../store/metrics';
import { queueRuns, claimNextRun, setRunNotes } from '../store/runs';
import { epochResult, openTempStore, smallConfig, type TempStore } from '../testing/store-fixtures';
import type { EpochImages } from '../records';
import { buildReport, renderReport, ReportError, writeReportFiles } from './report';

const hasPoppler = existsSync('/usr/bin/pdftoppm') && existsSync('/usr/bin/pdftotext');
const requirePoppler = process.env.CI === 'true';

function images(seed: number): EpochImages {
  const img = (k: number): Uint8Array =>
    Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * (k + 3) + seed * 31) % 256);
  return {
    width: 28,
    height: 28,
    inputs: Array.from({ length: 8 }, (_, k) => img(k)),
    reconstructions: Array.from({ length: 8 }, (_, k) => img(k + 8)),
    samples: Array.from({ length: 8 }, (_, k) => img(k + 16)),
  };
}

let store: TempStore;
afterEach(() => store?.close());

/** Three finished-looking runs of a β sweep with 3 epochs each, written through the store. */
function sweepStore(): { ids: number[] } {
  store = openTempStore();
  const runs = queueRuns(store.db, {
    experimentName: 'β sweep',
    configs: [0, 1, 4].map((beta) => smallConfig({ beta, epochs: 3 })),
  });
  for (const run of runs) {
    claimNextRun(store.db, process.pid);
    for (let epoch = 1; epoch <= 3; epoch++) {
      recordEpoch(store.db, run.id, {
        ...epochResult(epoch, 2, { beta: run.config.beta }),
        images: images(run.id + epoch),
      });
    }
  }
  setRunNotes(store.db, runs[1].id, 'The plain VAE <baseline>.');
  return { ids: runs.map((r) => r.id) };
}

const fakeManifold = async () => ({ pixels: new Uint8Array(56 * 56).fill(128), width: 56, height: 56 });

describe('reports', () => {
  it('writes HTML, PDF and CSV naming every run, self-contained', async () => {
    const { ids } = sweepStore();
    const report = await buildReport(store.db, { runIds: ids }, { appVersion: '9.9.9', decodeManifold: fakeManifold });
    expect(report.differing).toEqual(['beta']);
    const files = await renderReport(report);
    const dir = join(store.dir, 'out');
    const written = writeReportFiles(dir, files);
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual(['report.html', 'report.pdf', 'metrics.csv']);

    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    for (const run of report.runs) expect(html).toContain(run.run.name);
    expect(html).toContain('β = 4');
    expect(html).toContain('The plain VAE &lt;baseline&gt;.');
    expect(html).toContain('9.9.9');
    // No NLL was estimated: the report says so in words, with the command that estimates it.
    for (const run of report.runs) expect(html).toContain(`not computed (vae-workbench nll ${run.run.id})`);
    // No network: every src/href is inline data, and nothing is fetched by CSS.
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
    expect(html).not.toMatch(/<link\b|<script\b/i);
    expect(html.match(/<img /g)?.length).toBe(3 * 3);
    expect(html.match(/<svg /g)?.length).toBe(3);

    const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 3 * 3 * 2);

    const pdf = readFileSync(join(dir, 'report.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    if (!hasPoppler) {
      if (requirePoppler) throw new Error('poppler-utils (pdftoppm, pdftotext) is required in CI');
      return;
    }
    const pages = join(store.dir, 'pages');
    mkdirSync(pages);
    execFileSync('pdftoppm', ['-png', '-r', '40', join(dir, 'report.pdf'), join(pages, 'page')]);
    expect(readdirSync(pages).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(1);
    const text = execFileSync('pdftotext', ['-layout', join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
    for (const run of report.runs) expect(text).toContain(run.run.name.replaceAll('β', 'beta'));
    expect(text).toContain('The plain VAE <baseline>.');
    expect(text).toContain('not computed');
    expect(text).not.toMatch(/\s\?\s/);
  });

  it('refuses an empty selection, an unknown run and an unknown experiment', async () => {
    const { ids } = sweepStore();
    await expect(buildReport(store.db, { runIds: [] }, { appVersion: '1' })).rejects.toThrow(/selection is empty/);
    await expect(buildReport(store.db, { runIds: [ids[0], 999] }, { appVersion: '1' })).rejects.toThrow(/no run 999/);
    await expect(buildReport(store.db, { experimentId: 77 }, { appVersion: '1' })).rejects.toThrow(ReportError);
  });

  it('leaves no partial files when the directory cannot be written', async () => {
    const { ids } = sweepStore();
    const files = await renderReport(await buildReport(store.db, { runIds: ids }, { appVersion: '1' }));
    const asFile = join(store.dir, 'a-file');
    writeFileSync(asFile, 'x');
    expect(() => writeReportFiles(asFile, files)).toThrow(/is a file, not a directory/);
    expect(() => writeReportFiles(join(asFile, 'sub'), files)).toThrow(/cannot create the output directory/);
    if (process.getuid?.() !== 0) {
      const locked = join(store.dir, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o500);
      expect(() => writeReportFiles(locked, files)).toThrow(/cannot write the report/);
      expect(readdirSync(locked)).toEqual([]);
    }
    // A target that exists as a directory where a report file should go: the first two files must not stay.
    const blocked = join(store.dir, 'blocked');
    mkdirSync(join(blocked, 'metrics.csv'), { recursive: true });
    expect(() => writeReportFiles(blocked, files)).toThrow(/cannot write the report/);
    expect(readdirSync(blocked).sort()).toEqual(['metrics.csv']);
  });
});
