import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordEpoch } from '../store/metrics';
import { queueRuns, claimNextRun, setRunNotes } from '../store/runs';
import { epochResult, openTempStore, smallConfig, type TempStore } from '../testing/store-fixtures';
import type { EpochImages } from '../../src-shared/runs';
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
    // Three loss curves and the rate–distortion plane (no group holds two runs: no grouped curves).
    expect(html.match(/<svg /g)?.length).toBe(4);
    expect(html).toContain('Rate–distortion plane');
    expect(html).not.toContain('Runs grouped by');

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

  it('groups runs over seeds: mean ± sample std and n per metric, banded curves, the rate–distortion plane', async () => {
    store = openTempStore();
    // β ∈ {1, 4} × seeds {0, 1}; last-epoch test reconstruction 170 / 174 (β = 1) and 180 / 181 (β = 4), KL 13.
    const recon: Record<string, number> = { '1:0': 170, '1:1': 174, '4:0': 180, '4:1': 181 };
    const runs = queueRuns(store.db, {
      experimentName: 'β × seed',
      configs: [1, 4].flatMap((beta) => [0, 1].map((seed) => smallConfig({ beta, seed, epochs: 3 }))),
    });
    for (const run of runs) {
      claimNextRun(store.db, process.pid);
      const last = recon[`${run.config.beta}:${run.config.seed}`];
      for (let epoch = 1; epoch <= 3; epoch++)
        recordEpoch(store.db, run.id, {
          ...epochResult(epoch, 2, { beta: run.config.beta, testRecon: last + (3 - epoch) * 10 }),
          images: images(run.id + epoch),
        });
    }
    const report = await buildReport(store.db, { experimentId: runs[0].experimentId }, { appVersion: '1' });
    const { analysis } = report;
    expect(analysis.groupKeys).toEqual(['beta']);
    expect(analysis.groups?.map((g) => [g.label, g.runIds.length])).toEqual([
      ['β = 1', 2],
      ['β = 4', 2],
    ]);
    const beta1 = analysis.groups![0].stats.recon;
    // 170 and 174: mean 172, sample std |170 − 174| / √2 = 2.828…
    expect(beta1.mean).toBe(172);
    expect(beta1.std).toBeCloseTo(4 / Math.SQRT2, 12);
    expect(analysis.groupCharts).toHaveLength(3);
    expect(analysis.groupCharts[0].bands).toHaveLength(2);
    // The plane: one point per group, β = 4 higher (more distortion) at equal rate.
    const [p1, p4] = analysis.rateDistortion.points;
    expect([p1.label, p4.label]).toEqual(['β = 1', 'β = 4']);
    expect(p4.y).toBeLessThan(p1.y);
    expect(p1.dy).toBeGreaterThan(0);
    expect(p1.trajectory).toHaveLength(3);

    const files = await renderReport(report);
    expect(files.html).toContain('Runs grouped by β');
    expect(files.html).toContain('172.00 ± 2.83');
    expect(files.html).toContain('180.50 ± 0.71');
    // Loss curves, grouped curves, the plane.
    expect(files.html.match(/<svg /g)?.length).toBe(3 + 3 + 1);
    if (!hasPoppler) return;
    const dir = join(store.dir, 'grouped');
    writeReportFiles(dir, files);
    const text = execFileSync('pdftotext', ['-layout', join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain('Runs grouped by beta');
    expect(text).toContain('172.00 +/- 2.83');
    expect(text).toContain('Rate-distortion plane');
  });
});
