import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { callFromPage } from './browser';
import { exportReportFromCompare, openView, queueFromForm, SCREENSHOTS, shot } from './workbench-flow';
import { tinyRun } from './analysis-flow';
import { entriesFromRunList } from '../src-shared/run-list';

/**
 * Baselines and the IWAE bound beside a β sweep, all queued from the form: a PCA baseline (closed form, one "epoch"),
 * an IWAE (k = 5) run and β ∈ {1, 4}; then the runs table, Compare (the IWAE curve, the baselines' reference line on
 * the rate–distortion plane), the latent views of the PCA run, and the report.
 */

export const sweepBetas = ['1', '4'];

/** Three experiments from the form: the β sweep, an IWAE k = 5 run, a PCA baseline (its training fields hidden). */
export async function queueFromTheForm(page: Page): Promise<void> {
  await openView(page, 'new');
  for (const [key, value] of Object.entries(tinyRun)) await page.locator(`#field-${key}`).fill(value);
  await page.locator('button[data-sweep="beta"]').click();
  await page.locator('#field-beta').fill(sweepBetas.join(', '));
  await queueFromForm(page, 'e2e β sweep', sweepBetas.length);

  await page.locator('button[data-sweep="beta"]').click();
  await page.locator('#field-beta').fill('1');
  await page.locator('#field-iwaeSamples').fill('5');
  await queueFromForm(page, 'e2e IWAE k = 5', 1);

  await page.locator('#field-iwaeSamples').fill('1');
  await page.locator('#field-model').selectOption('pca');
  // PCA is fitted in closed form: no epochs, learning rate, architecture or β to set.
  for (const hidden of ['epochs', 'learningRate', 'hiddenSizes', 'beta', 'iwaeSamples'])
    await expect.poll(() => page.locator(`#field-${hidden}`).count()).toBe(0);
  await shot(page, 'new-experiment-pca');
  await queueFromForm(page, 'e2e PCA baseline', 1);
  await page.locator('#field-model').selectOption('vae');
}

export interface BaselineRunIds {
  pca: number;
  iwae: number;
  betas: number[];
}

export async function runIds(page: Page, token: string): Promise<BaselineRunIds> {
  const runs = entriesFromRunList(await callFromPage(page, token, 'listRuns', {}));
  return {
    pca: runs.find((r) => r.config.model === 'pca')!.id,
    iwae: runs.find((r) => r.config.iwaeSamples === 5)!.id,
    betas: runs.filter((r) => r.experimentName === 'e2e β sweep').map((r) => r.id),
  };
}

/** The runs table names each run's kind; a baseline's ELBO, KL, IWAE and NLL read n/a; the IWAE run has its bound. */
export async function runsTableWithBaselines(page: Page, ids: BaselineRunIds): Promise<void> {
  await openView(page, 'runs');
  const row = (id: number) => page.locator(`[data-testid="runs-table"] .tr[data-run-id="${id}"]`);
  await expect.poll(() => row(ids.pca).locator('[data-col="model"]').textContent()).toBe('PCA');
  for (const col of ['testElbo', 'testKl', 'testIwae', 'nll', 'bestElbo'])
    expect(await row(ids.pca).locator(`[data-col="${col}"]`).textContent()).toContain('n/a');
  expect(await row(ids.pca).locator('[data-col="testRecon"]').textContent()).toMatch(/^\d+\.\d$/);
  expect(await row(ids.pca).locator('[data-col="beta"]').textContent()).toBe('—');
  expect(await row(ids.pca).locator('[data-col="epochs"]').textContent()).toBe('1/1');
  expect(await row(ids.iwae).locator('[data-col="model"]').textContent()).toBe('VAE');
  const iwae = Number((await row(ids.iwae).locator('[data-col="testIwae"]').textContent())?.replace('−', '-'));
  const elbo = Number((await row(ids.iwae).locator('[data-col="testElbo"]').textContent())?.replace('−', '-'));
  // L_k ≥ the ELBO on the same model, within the noise of 200 test images.
  expect(iwae).toBeGreaterThan(elbo - 0.5);
  expect(await row(ids.betas[0]).locator('[data-col="testIwae"]').textContent()).toBe('—');
  await shot(page, 'runs-with-baselines');
}

/** Compare: the IWAE curve of the k = 5 run, the squared error, PCA as a reference line on the plane, n/a in the table. */
export async function compareWithBaselines(page: Page, ids: BaselineRunIds): Promise<void> {
  await openView(page, 'runs');
  await page.locator('input[aria-label="Select all shown"]').check();
  await page.locator('[data-testid="compare-button"]').click();
  const charts = page.locator('[data-testid="metric-chart"]');
  // Reconstruction, KL, ELBO, the IWAE bound, the squared error.
  await expect.poll(() => charts.count()).toBe(5);
  const titles = await charts.evaluateAll((els) => els.map((el) => el.textContent ?? ''));
  expect(titles.some((t) => t.includes('IWAE bound L_k'))).toBe(true);
  // The IWAE chart: the k = 5 run's test series only, 3 epochs.
  const iwaeChart = charts.filter({ hasText: 'IWAE bound L_k' });
  await expect.poll(() => iwaeChart.getAttribute('data-points')).toBe('3');
  const table = page.locator('[data-testid="compare-table"]');
  expect(await table.locator(`tr[data-run-id="${ids.pca}"] td.right`).first().textContent()).toBe('n/a');
  expect(await table.locator(`tr[data-run-id="${ids.iwae}"] [data-col="iwae"]`).textContent()).toMatch(/^−\d+\.\d$/);
  await expect.poll(() => page.locator('[data-testid="baseline-note"]').textContent()).toContain('PCA');
  await shot(page, 'compare-baselines-iwae');
  const plane = page.locator('[data-testid="rd-plane"]');
  await plane.scrollIntoViewIfNeeded();
  await expect.poll(() => plane.locator('[data-testid="rd-reference"]').count()).toBe(1);
  // Every VAE is a point; the PCA baseline (no rate) is not.
  await expect.poll(() => plane.locator('[data-testid="rd-point"]').count()).toBe(ids.betas.length + 1);
  await shot(page, 'compare-baselines-rate-distortion');
  await page.locator('[data-testid="run-images"]').last().scrollIntoViewIfNeeded();
  await expect.poll(() => page.locator('[data-testid="no-prior"]').count()).toBe(1);
  await shot(page, 'compare-baselines-images');
}

/** The latent views open on the PCA run: the scatter of test codes and traversals along the components, in order. */
export async function latentViewsOfPca(page: Page, ids: BaselineRunIds): Promise<void> {
  await page.locator('button.tab[data-view="latent"]').click();
  await page.locator('[data-testid="latent-run"]').selectOption(String(ids.pca));
  await page.locator('[data-latent-tab="scatter"]').click();
  // Every test point encoded and drawn (the default count), not the empty canvas of a request in flight.
  const count = await page.locator('[data-testid="scatter-count"]').inputValue();
  await expect
    .poll(() => page.locator('[data-testid="scatter-canvas"]').getAttribute('data-points'), { timeout: 60_000 })
    .toBe(count);
  await shot(page, 'latent-pca-scatter');
  await page.locator('[data-latent-tab="traversals"]').click();
  const rows = page.locator('[data-testid="traversal-row"]');
  await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(4);
  expect(await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-dim')))).toEqual(['0', '1', '2', '3']);
  expect(await page.locator('[data-testid="latent-traversals"] .badge.warn').count()).toBe(0);
  expect(await page.locator('[data-testid="traversal-order"]').textContent()).toContain('principal components');
  await shot(page, 'latent-pca-traversals');
  await page.locator('[data-latent-tab="explorer"]').click();
  await expect.poll(() => page.locator('[data-testid="explorer-random"]').isDisabled()).toBe(true);
}

/** The report names the kinds, prints n/a for the PCA run's ELBO, draws the IWAE chart; PDF pages kept as images. */
export async function reportWithBaselines(page: Page, dir: string, token: string): Promise<string> {
  const runs = entriesFromRunList(await callFromPage(page, token, 'listRuns', {}));
  await openView(page, 'compare');
  // The PCA run has its one epoch, the others 3.
  await exportReportFromCompare(
    page,
    dir,
    runs.map((r) => r.name),
    runs.map((r) => r.epochsDone),
  );
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  expect(html).toContain('<td>PCA</td>');
  expect(html).toContain('n/a');
  expect(html).toContain('IWAE bound L_k (test)');
  expect(html).toContain('Baselines (runs');
  const browser = page.context().browser();
  if (!browser) throw new Error('no browser behind the page');
  const viewer = await browser.newPage();
  await viewer.setViewportSize({ width: 1200, height: 900 });
  await viewer.goto(`file://${join(dir, 'report.html')}`);
  await viewer.locator('h2', { hasText: 'Final metrics' }).scrollIntoViewIfNeeded();
  await shot(viewer, 'report-html-baselines');
  await viewer.locator('h2', { hasText: 'Rate–distortion plane' }).scrollIntoViewIfNeeded();
  await shot(viewer, 'report-html-baselines-rate-distortion');
  await viewer.close();
  execFileSync('pdftoppm', ['-png', '-r', '60', join(dir, 'report.pdf'), join(SCREENSHOTS, 'report-pdf-baselines')]);
  return execFileSync('pdftotext', ['-layout', join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
}
