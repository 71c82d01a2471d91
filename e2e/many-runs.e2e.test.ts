import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openDatabase } from '../src-main/store/db';
import { addSyntheticRuns, syntheticTraining } from '../src-main/api/synthetic-runs';
import { startServer, type RunningServer } from '../src-main/server/server';
import { chromiumOptions } from './browser';
import { openView, shot } from './workbench-flow';

describe('runs table with 1,000 runs × 50 epochs', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vaew-e2e-many-'));
    const dbPath = join(dir, 'many.db');
    const db = openDatabase(dbPath);
    addSyntheticRuns(db, { runs: 1000, epochs: 50 });
    db.close();
    // A synthetic training process keeps one run "training" so the live views have something to show.
    server = await startServer({ dbPath, port: 0, spawn: () => syntheticTraining({ epochMs: 2000, batches: 20 }) });
    browser = await chromium.launch(chromiumOptions());
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${server.url}#/runs`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders only the rows in view, sorts and filters', async () => {
    const rows = page.locator('[data-testid="runs-table"] .tr');
    await rows.first().waitFor();
    expect(await page.locator('[data-testid="runs-count"]').textContent()).toBe('1000 of 1000 runs');
    // The DOM stays small: a screenful of rows plus overscan, not a thousand.
    expect(await rows.count()).toBeLessThan(60);
    await page.locator('.th', { hasText: 'Test ELBO' }).click();
    const best = await rows.first().locator('[data-col="testElbo"]').textContent();
    const second = await rows.nth(1).locator('[data-col="testElbo"]').textContent();
    const value = (s: string | null): number => Number((s ?? '').replace('−', '-'));
    expect(value(best)).toBeGreaterThanOrEqual(value(second));
    await page.locator('input.filter').fill('β=4 latent=2');
    await expect.poll(() => page.locator('[data-testid="runs-count"]').textContent()).toMatch(/^25 of 1000 runs$/);
    await page.locator('input.filter').fill('');
    await page.locator('label.check', { hasText: 'group by experiment' }).locator('input').check();
    await expect.poll(() => page.locator('.group-row').count()).toBeGreaterThan(0);
    await page.locator('[data-testid="runs-table"]').evaluate((el) => (el.scrollTop = 15_000));
    await expect.poll(() => rows.count()).toBeLessThan(60);
    await page.locator('[data-testid="runs-table"]').evaluate((el) => (el.scrollTop = 0));
    await shot(page, 'runs-1000');
  });

  it('compares four runs that differ in β and latent dimension', async () => {
    await page.locator('label.check', { hasText: 'group by experiment' }).locator('input').uncheck();
    await page.locator('input.filter').fill('latent=2');
    const rows = page.locator('[data-testid="runs-table"] .tr');
    await expect.poll(() => page.locator('[data-testid="runs-count"]').textContent()).toMatch(/^200 of 1000/);
    const runHeader = page.locator('.th', { hasText: 'Run' });
    await runHeader.click();
    if ((await runHeader.getAttribute('aria-sort')) !== 'ascending') await runHeader.click();
    for (let i = 0; i < 4; i++) await rows.nth(i).locator('input[type="checkbox"]').check();
    await rows.first().click();
    await shot(page, 'runs-detail');
    await openView(page, 'compare');
    await expect
      .poll(() => page.locator('[data-testid="metric-chart"]').first().getAttribute('data-points'))
      .toBe(String(4 * 2 * 50));
    const legend = await page.locator('[data-testid="legend"]').textContent();
    expect(legend).toContain('β = 0');
    expect(legend).toContain('β = 2');
    await expect.poll(() => page.locator('[data-testid="run-images"] canvas.strip').count()).toBe(12);
    await shot(page, 'compare-four');
  });

  it('shows the live queue', async () => {
    await page.evaluate(async (token) => {
      await fetch('/api/queueSweep', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-workbench-token': token },
        body: JSON.stringify({
          experimentName: 'live',
          sweep: { base: { epochs: 30 }, axes: { beta: [0.5, 1, 2, 4] } },
        }),
      });
    }, server.token);
    await openView(page, 'queue');
    await page.locator('[data-testid="active-run"] [role="progressbar"]').first().waitFor();
    await expect.poll(() => page.locator('[data-testid="queued-run"]').count()).toBe(3);
    await shot(page, 'queue-live');
  });
});
