import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { callFromPage } from './browser';
import { entriesFromRunList } from '../src-shared/run-list';
import { exportReportFromCompare, openView, queueFromForm, SCREENSHOTS, shot } from './workbench-flow';

/**
 * The analysis views on a small β × seed sweep: runs grouped over seeds (mean ± std bands, aggregated tables), the
 * rate–distortion plane, parallel coordinates brushing the runs table, and the test NLL computed from the window.
 */

export const betas = ['0.5', '1', '2', '4'];
export const seeds = ['0', '1'];

/** Small runs that still learn enough to separate the βs: 600 training images, 3 epochs, 64 hidden units. */
export const tinyRun = {
  trainSubset: '600',
  testSubset: '200',
  epochs: '3',
  hiddenSizes: '64',
  latentDim: '4',
  batchSize: '50',
  learningRate: '0.005',
};

export async function queueBetaSeedSweep(page: Page, experimentName: string): Promise<void> {
  await openView(page, 'new');
  for (const [key, value] of Object.entries(tinyRun)) await page.locator(`#field-${key}`).fill(value);
  await page.locator('button[data-sweep="beta"]').click();
  await page.locator('#field-beta').fill(betas.join(', '));
  await page.locator('button[data-sweep="seed"]').click();
  await page.locator('#field-seed').fill(seeds.join(', '));
  await queueFromForm(page, experimentName, betas.length * seeds.length);
}

export async function waitAllFinished(page: Page, token: string, count: number, timeoutMs: number): Promise<void> {
  await expect
    .poll(
      () =>
        callFromPage(page, token, 'listRuns', {}).then(
          (runs) => entriesFromRunList(runs).filter((r) => r.status === 'finished').length,
        ),
      { timeout: timeoutMs, interval: 500 },
    )
    .toBe(count);
}

const MEAN_STD = /^−?\d+\.\d ± \d+\.\d$/;

export async function groupedRunsTable(page: Page): Promise<void> {
  await openView(page, 'runs');
  await page.locator('[data-testid="group-toggle"]').check();
  const groups = page.locator('[data-testid="aggregate-row"]');
  await expect.poll(() => groups.count()).toBe(betas.length);
  for (let i = 0; i < betas.length; i++) {
    const row = groups.nth(i);
    expect(await row.locator('[data-col="id"]').textContent()).toBe(`n = ${seeds.length}`);
    expect(await row.locator('[data-col="testElbo"]').textContent()).toMatch(MEAN_STD);
    expect(await row.locator('[data-col="testKl"]').textContent()).toMatch(MEAN_STD);
  }
  expect((await groups.locator('[data-col="beta"]').allTextContents()).sort()).toEqual([...betas].sort());
  await shot(page, 'runs-grouped-over-seeds');
}

export async function groupedCompare(page: Page): Promise<void> {
  await page.locator('input[aria-label="Select all shown"]').check();
  await page.locator('[data-testid="compare-button"]').click();
  await expect.poll(() => page.locator('[data-testid="group-legend"]').count()).toBe(betas.length);
  const charts = page.locator('[data-testid="metric-chart"]');
  await expect.poll(() => charts.count()).toBe(3);
  // Per group: 2 faint runs + 2 band edges + test and train means, 3 epochs each = 18 points.
  await expect.poll(() => charts.first().getAttribute('data-points')).toBe(String(betas.length * 18));
  const table = page.locator('[data-testid="aggregate-group"]');
  await expect.poll(() => table.count()).toBe(betas.length);
  for (let i = 0; i < betas.length; i++)
    expect(await table.nth(i).locator('[data-col="elbo"]').textContent()).toMatch(MEAN_STD);
  await shot(page, 'compare-grouped-bands');
  await page.locator('[data-testid="band-select"]').selectOption('minmax');
  await expect.poll(() => page.locator('[data-testid="legend"]').textContent()).toContain('min–max');
  await shot(page, 'compare-grouped-minmax');
  await page.locator('[data-testid="band-select"]').selectOption('std');
}

/** The four group means lie along the trade-off: as β falls the rate rises and the distortion falls. */
export async function rateDistortionPlane(page: Page): Promise<{ beta: number; rate: number; distortion: number }[]> {
  const plane = page.locator('[data-testid="rd-plane"]');
  await plane.scrollIntoViewIfNeeded();
  const points = plane.locator('[data-testid="rd-point"]');
  await expect.poll(() => points.count()).toBe(betas.length);
  const read = await points.evaluateAll((els) =>
    els.map((el) => ({
      label: el.getAttribute('data-label') ?? '',
      rate: Number(el.getAttribute('data-rate')),
      distortion: Number(el.getAttribute('data-distortion')),
    })),
  );
  const byBeta = read
    .map((p) => ({ beta: Number(/β = ([\d.]+)/.exec(p.label)?.[1]), rate: p.rate, distortion: p.distortion }))
    .sort((a, b) => a.beta - b.beta);
  expect(byBeta.map((p) => p.beta)).toEqual(betas.map(Number));
  await shot(page, 'compare-rate-distortion');
  return byBeta;
}

/** Brushing the β axis at its top keeps only the β = 4 runs in the runs table. */
export async function parallelCoordinatesBrush(page: Page): Promise<void> {
  const pc = page.locator('[data-testid="parallel-coordinates"]');
  await pc.scrollIntoViewIfNeeded();
  const axis = pc.locator('[data-axis="beta"]');
  const box = await axis.boundingBox();
  if (!box) throw new Error('the β axis is not on screen');
  const x = box.x + box.width / 2;
  await page.mouse.move(x, box.y + 2);
  await page.mouse.down();
  await page.mouse.move(x, box.y + box.height * 0.15, { steps: 4 });
  await page.mouse.up();
  await expect.poll(() => pc.textContent()).toContain(`${seeds.length} of ${betas.length * seeds.length} runs brushed`);
  await shot(page, 'compare-parallel-coordinates');
  await openView(page, 'runs');
  await expect
    .poll(() => page.locator('[data-testid="runs-count"]').textContent())
    .toBe(`${seeds.length} of ${betas.length * seeds.length} runs`);
  await page.locator('[data-testid="clear-brush"]').click();
  await expect
    .poll(() => page.locator('[data-testid="runs-count"]').textContent())
    .toBe(`${betas.length * seeds.length} of ${betas.length * seeds.length} runs`);
}

/** From Compare: estimate the test NLL of the first run with a progress bar; the value lands in both tables. */
export async function nllFromTheWindow(page: Page): Promise<number> {
  await openView(page, 'compare');
  const control = page.locator('[data-testid="compare-table"] [data-testid="nll-control"]').first();
  await control.scrollIntoViewIfNeeded();
  const runId = Number(await control.getAttribute('data-run-id'));
  await control.locator('[data-testid="nll-open"]').click();
  await control.locator('[data-testid="nll-k"]').fill('1000');
  await control.locator('[data-testid="nll-examples"]').fill('100');
  await control.locator('[data-testid="nll-start"]').click();
  const progress = control.locator('[data-testid="nll-progress"]');
  // Caught once the first batch is done, with its ETA.
  await expect
    .poll(async () => Number((await progress.getAttribute('data-done').catch(() => null)) ?? 0), {
      timeout: 30_000,
      interval: 50,
    })
    .toBeGreaterThan(0);
  await shot(page, 'compare-nll-progress');
  const value = control.locator('[data-testid="nll-value"]');
  await expect
    .poll(async () => ((await value.count()) === 1 ? value.textContent() : ''), { timeout: 120_000 })
    .toMatch(/^\s*\d+\.\d\d\s*$/);
  const nll = Number((await value.textContent())?.trim());
  expect(nll).toBeGreaterThan(0);
  await shot(page, 'compare-nll-done');
  await openView(page, 'runs');
  await page.locator('[data-testid="group-toggle"]').uncheck();
  const row = page.locator(`[data-testid="runs-table"] .tr[data-run-id="${runId}"]`);
  await expect.poll(() => row.locator('[data-col="nll"]').textContent()).toBe(nll.toFixed(2));
  await row.click();
  await expect
    .poll(() => page.locator('[data-testid="run-detail"] [data-testid="nll-value"]').textContent())
    .toContain(nll.toFixed(2));
  await shot(page, 'runs-detail-nll');
  return nll;
}

/**
 * Exports the report of the grouped comparison and keeps images of it to look at: the HTML as the browser draws it
 * (its SVG rate–distortion plane) and the PDF's pages.
 */
export async function groupedReport(
  page: Page,
  dir: string,
  token: string,
): Promise<{ html: string; pdfText: string }> {
  const runNames = entriesFromRunList(await callFromPage(page, token, 'listRuns', {})).map((r) => r.name);
  await openView(page, 'compare');
  await exportReportFromCompare(page, dir, runNames, 3);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  const browser = page.context().browser();
  if (!browser) throw new Error('no browser behind the page');
  const viewer = await browser.newPage();
  await viewer.setViewportSize({ width: 1200, height: 900 });
  await viewer.goto(`file://${join(dir, 'report.html')}`);
  await viewer.locator('h2', { hasText: 'Rate–distortion plane' }).scrollIntoViewIfNeeded();
  await viewer.locator('h2', { hasText: 'Runs grouped by' }).scrollIntoViewIfNeeded();
  await shot(viewer, 'report-html-grouped');
  await viewer.locator('h2', { hasText: 'Rate–distortion plane' }).scrollIntoViewIfNeeded();
  await shot(viewer, 'report-html-rate-distortion');
  await viewer.close();
  execFileSync('pdftoppm', [
    '-png',
    '-r',
    '60',
    '-f',
    '1',
    '-l',
    '3',
    join(dir, 'report.pdf'),
    join(SCREENSHOTS, 'report-pdf'),
  ]);
  const pdfText = execFileSync('pdftotext', ['-layout', join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
  return { html, pdfText };
}

/** A click on a point of the rate–distortion plane opens that run in the runs view. */
export async function openRunFromThePlane(page: Page, token: string): Promise<void> {
  await openView(page, 'compare');
  await page.locator('[data-testid="group-toggle"]').uncheck();
  // The last point is drawn on top: points of close runs can overlap.
  const point = page.locator('[data-testid="rd-plane"] [data-testid="rd-point"]').last();
  await point.scrollIntoViewIfNeeded();
  const runId = await point.getAttribute('data-id');
  await point.click();
  await expect.poll(() => page.locator('[data-testid="run-detail"] h2').textContent()).toBe(`Run #${runId}`);
  // The epoch of the best ELBO is not in the runs list: the details fetch it for the run opened.
  const best = (await callFromPage(page, token, 'getRun', { runId: Number(runId) })).best;
  await expect
    .poll(() => page.locator('[data-testid="run-detail"] [data-testid="best-elbo"]').textContent())
    .toContain(`(epoch ${best.testElboEpoch})`);
}

/**
 * A run pushed into collapse (α = 0: the KL term alone, so q(z|x) falls onto the prior) carries a warning with the KL of each latent dimension,
 * in the runs table and in its details.
 */
export async function collapsedRunWarns(page: Page, token: string): Promise<void> {
  const { runIds } = await callFromPage(page, token, 'queueSweep', {
    experimentName: 'e2e collapse',
    sweep: {
      base: {
        alpha: 0,
        learningRate: 0.01,
        trainSubset: 300,
        testSubset: 100,
        epochs: 3,
        hiddenSizes: [64],
        latentDim: 4,
        batchSize: 50,
      },
      axes: {},
    },
  });
  const runId = runIds[0];
  await openView(page, 'runs');
  const row = page.locator(`[data-testid="runs-table"] .tr[data-run-id="${runId}"]`);
  await expect.poll(() => row.locator('.badge').textContent(), { timeout: 60_000 }).toBe('finished');
  console.log(
    `collapsed run: active units ${await row.locator('[data-col="activeUnits"]').textContent()}, KL ${await row.locator('[data-col="testKl"]').textContent()}`,
  );
  await expect.poll(() => row.locator('[data-testid="collapse-mark"]').count()).toBe(1);
  await row.click();
  const warning = page.locator('[data-testid="run-detail"] [data-testid="collapse-warning"]');
  await expect.poll(() => warning.textContent()).toMatch(/posterior collapse: .*KL per dimension \(nats\): z1 /);
  await shot(page, 'runs-detail-collapse');
}
