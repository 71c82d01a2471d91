import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

export const SCREENSHOTS = join(process.cwd(), 'test-results');

/** Small enough to train in seconds on two cores: 500 training images, 200 test images, 2 epochs, one small layer. */
export const smallRun = {
  trainSubset: '500',
  testSubset: '200',
  epochs: '2',
  hiddenSizes: '64',
  latentDim: '4',
  batchSize: '100',
};

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

async function setField(page: Page, key: string, value: string): Promise<void> {
  await page.locator(`#field-${key}`).fill(value);
}

export async function openView(page: Page, view: 'new' | 'queue' | 'runs' | 'compare'): Promise<void> {
  await page.locator(`button.tab[data-view="${view}"]`).click();
}

/** A bad value shows the schema's message under its field and the Queue button stays disabled. */
export async function badValueIsRefused(page: Page): Promise<void> {
  await openView(page, 'new');
  await setField(page, 'learningRate', '-0.5');
  const message = page.locator('[data-field="learningRate"] .message');
  await expect.poll(() => message.textContent()).toContain('learningRate = -0.5');
  expect(await page.locator('[data-testid="queue-button"]').isDisabled()).toBe(true);
  await setField(page, 'latentDim', 'many');
  await expect
    .poll(() => page.locator('[data-field="latentDim"] .message').textContent())
    .toContain('"many" is not a number');
  await shot(page, 'new-experiment-invalid');
  await setField(page, 'learningRate', '0.001');
  await setField(page, 'latentDim', '4');
  await expect.poll(() => page.locator('[data-field="learningRate"] .message').count()).toBe(0);
}

/** Names the experiment the form describes, waits for its run count, queues it; returns when the UI confirms. */
export async function queueFromForm(
  page: Page,
  experimentName: string,
  runs: number,
  beforeQueueing?: () => Promise<unknown>,
): Promise<void> {
  await page.locator('#experiment-name').fill(experimentName);
  await expect
    .poll(() => page.locator('[data-testid="run-count"]').textContent())
    .toMatch(new RegExp(`^\\s*${runs}\\s+runs?`));
  await beforeQueueing?.();
  await page.locator('[data-testid="queue-button"]').click();
  await expect.poll(() => page.locator('[data-testid="queued-message"]').textContent()).toContain(`Queued ${runs} run`);
}

/** Fills the form for a small β sweep {0, 1, 4} and queues it; returns when the UI confirms. */
export async function queueBetaSweep(page: Page, experimentName: string): Promise<void> {
  await openView(page, 'new');
  for (const [key, value] of Object.entries(smallRun)) await setField(page, key, value);
  await page.locator('button[data-sweep="beta"]').click();
  await page.locator('#field-beta').fill('0, 1, 4');
  await queueFromForm(page, experimentName, 3, () => shot(page, 'new-experiment-sweep'));
}

/**
 * The queue view shows the run in training with its progress bars, then all three runs end finished. Small runs can
 * all finish before the view opens on a fast machine, so the bar is checked whenever it is caught; the live queue is
 * tested deterministically with slow synthetic training in many-runs.e2e.test.ts.
 */
export async function watchQueue(page: Page, timeoutMs: number): Promise<void> {
  await openView(page, 'queue');
  const bar = page.locator('[data-testid="active-run"] [role="progressbar"]').first();
  const finished = page.locator('[data-testid="finished-run"] .badge.status-finished');
  let sawProgress = false;
  await expect
    .poll(
      async () => {
        if (!sawProgress && (await bar.isVisible())) {
          sawProgress = true;
          const now = Number(await bar.getAttribute('aria-valuenow'));
          expect(now).toBeGreaterThanOrEqual(0);
          await shot(page, 'queue-training');
        }
        return finished.count();
      },
      { timeout: timeoutMs, interval: 100 },
    )
    .toBe(3);
  await shot(page, 'queue-finished');
}

/** Three finished rows with metrics; select them all and compare. */
export async function runsTableAndCompare(page: Page): Promise<void> {
  await openView(page, 'runs');
  const rows = page.locator('[data-testid="runs-table"] .tr');
  await expect.poll(() => rows.count()).toBe(3);
  for (let i = 0; i < 3; i++) {
    const row = rows.nth(i);
    expect(await row.locator('.badge').textContent()).toBe('finished');
    expect(await row.locator('[data-col="testElbo"]').textContent()).toMatch(/^−\d+\.\d$/);
    expect(await row.locator('[data-col="testKl"]').textContent()).toMatch(/^\d+\.\d$/);
    expect(await row.locator('[data-col="epochs"]').textContent()).toBe('2/2');
  }
  // Sorting by β puts 0, 1, 4 in order.
  await page.locator('.th', { hasText: 'β' }).click();
  await page.locator('.th', { hasText: 'β' }).click();
  await expect.poll(() => rows.locator('[data-col="beta"]').allTextContents()).toEqual(['0', '1', '4']);
  await rows.first().click();
  await page.locator('#run-notes').fill('β = 0: no KL pressure, expect the largest KL');
  await page.locator('#run-tags').fill('baseline e2e');
  await page.locator('#run-tags').press('Enter');
  await expect.poll(() => rows.first().locator('[data-col="tags"]').textContent()).toBe('baseline, e2e');
  await page.locator('input[aria-label="Select all shown"]').check();
  await shot(page, 'runs-table');
  await page.locator('[data-testid="compare-button"]').click();

  const charts = page.locator('[data-testid="metric-chart"]');
  await expect.poll(() => charts.count()).toBe(3);
  // 3 runs × (train + test) × 2 epochs in each chart.
  for (let i = 0; i < 3; i++) await expect.poll(() => charts.nth(i).getAttribute('data-points')).toBe('12');
  const legend = await page.locator('[data-testid="legend"]').textContent();
  for (const b of ['β = 0', 'β = 1', 'β = 4']) expect(legend).toContain(b);

  const strips = page.locator('[data-testid="run-images"] canvas.strip');
  await expect.poll(() => strips.count(), { timeout: 20_000 }).toBe(9);
  // The strips hold real pixels: some dark, some bright.
  // Runs in the page; typed structurally because this project's Node config has no DOM library.
  type Canvas2d = {
    width: number;
    height: number;
    getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
  };
  const stats = await strips.first().evaluate((el) => {
    const c = el as unknown as Canvas2d;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let bright = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 128) bright++;
    const style = (
      globalThis as unknown as { getComputedStyle(e: unknown): { imageRendering: string } }
    ).getComputedStyle(el);
    return { bright, pixels: d.length / 4, rendering: style.imageRendering };
  });
  expect(stats.bright).toBeGreaterThan(0);
  expect(stats.bright).toBeLessThan(stats.pixels);
  expect(stats.rendering).toBe('pixelated');
  await shot(page, 'compare');
  await page.locator('[data-testid="log-toggle"]').check();
  await page.locator('[data-testid="epoch-slider"]').fill('1');
  await expect.poll(() => page.locator('[data-testid="run-images"]').first().textContent()).toContain('epoch 1');
  await shot(page, 'compare-log-epoch1');
}

/**
 * From the compare view: export a report of the compared runs and check the three downloaded files — every run
 * named in the HTML and the PDF's text, no network reference, pages that render, one CSV row per run × epoch × split.
 */
export async function exportReportFromCompare(
  page: Page,
  dir: string,
  runNames: string[],
  /** Epochs of every run, or of each run in runNames' order when they differ. */
  epochs: number | number[],
): Promise<void> {
  const downloads: { name: string; path: string }[] = [];
  const collected = new Promise<void>((resolve) => {
    page.on('download', (download) => {
      const path = join(dir, download.suggestedFilename());
      void download.saveAs(path).then(() => {
        downloads.push({ name: download.suggestedFilename(), path });
        if (downloads.length === 3) resolve();
      });
    });
  });
  const button = page.locator('[data-testid="export-report"]');
  await button.click();
  await collected;
  await expect
    .poll(() => page.locator('[data-testid="export-done"]').textContent())
    .toContain(`${runNames.length} runs`);
  await shot(page, 'compare-exported');
  expect(downloads.map((d) => d.name).sort()).toEqual(['metrics.csv', 'report.html', 'report.pdf']);
  const file = (name: string): string => downloads.find((d) => d.name === name)!.path;

  const html = readFileSync(file('report.html'), 'utf8');
  for (const name of runNames) expect(html).toContain(name);
  expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/i);
  expect(html).not.toMatch(/<link\b|<script\b/i);

  const pages = join(dir, 'pages');
  mkdirSync(pages, { recursive: true });
  execFileSync('pdftoppm', ['-png', '-r', '50', file('report.pdf'), join(pages, 'page')]);
  expect(readdirSync(pages).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(1);
  const text = execFileSync('pdftotext', ['-layout', file('report.pdf'), '-'], { encoding: 'utf8' });
  for (const name of runNames) expect(text).toContain(name.replaceAll('β', 'beta'));

  const rows = readFileSync(file('metrics.csv'), 'utf8').trim().split('\n');
  const total = Array.isArray(epochs) ? epochs.reduce((sum, e) => sum + e, 0) : runNames.length * epochs;
  expect(rows).toHaveLength(1 + total * 2);
}

/** The backend badge sets what the next runs ask for; the choice is the server's, so it survives a reload. */
export async function chooseBackend(page: Page, backend: string): Promise<void> {
  await page.locator('[data-testid="backend"]').click();
  await page.locator('[data-testid="backend-preference"]').selectOption(backend);
  await page.reload();
  await page.locator('[data-testid="backend"]').click();
  await expect.poll(() => page.locator('[data-testid="backend-preference"]').inputValue()).toBe(backend);
  await shot(page, 'backend-preference');
  await page.locator('[data-testid="backend"]').click();
}
