import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openDatabase } from '../src-main/store/db';
import { addSyntheticRuns, syntheticTraining } from '../src-main/testing/synthetic-runs';
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

  it('compares four runs that differ in β', async () => {
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

  it('shows the live queue; reorders, cancels, and shows a failed run’s error', async () => {
    const queue = async (body: unknown): Promise<void> => {
      await page.evaluate(
        async ([token, json]) => {
          await fetch('/api/queueSweep', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-workbench-token': token },
            body: json,
          });
        },
        [server.token, JSON.stringify(body)] as const,
      );
    };
    await queue({ experimentName: 'live', sweep: { base: { epochs: 30 }, axes: { beta: [0.5, 1, 2, 4] } } });
    await queue({ experimentName: 'diverges', sweep: { base: { epochs: 3, learningRate: 0.9 }, axes: {} } });
    await openView(page, 'queue');
    await page.locator('[data-testid="active-run"] [role="progressbar"]').first().waitFor();
    const queued = page.locator('[data-testid="queued-run"]');
    await expect.poll(() => queued.count()).toBe(4);
    await shot(page, 'queue-live');
    // Move the diverging run to the front, then cancel the one training so it starts next.
    const diverging = queued.filter({ hasText: 'lr = 0.9' });
    for (let i = 3; i > 0; i--) {
      await expect.poll(() => diverging.locator('.pos').textContent()).toBe(String(i + 1));
      await diverging.getByRole('button', { name: 'Move up' }).click();
    }
    await expect.poll(() => queued.first().textContent()).toContain('0.9');
    await page.locator('[data-testid="active-run"]').getByRole('button', { name: 'Cancel' }).click();
    const error = page.locator('[data-testid="stopped-run"] [data-testid="run-error"]');
    await expect.poll(() => error.textContent(), { timeout: 30_000 }).toContain('learning rate 0.9 is too high');
    await shot(page, 'queue-failed');
  });

  it('updates the compare view live while a run trains', async () => {
    await openView(page, 'runs');
    await page.locator('[data-testid="runs-table"] .tr').first().waitFor();
    await page.locator('input.filter').fill('running');
    const rows = page.locator('[data-testid="runs-table"] .tr');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('button', { name: 'Clear' }).click();
    await rows.first().locator('input[type="checkbox"]').check();
    await openView(page, 'compare');
    const chart = page.locator('[data-testid="metric-chart"]').first();
    const points = async (): Promise<number> => Number(await chart.getAttribute('data-points'));
    await expect.poll(points, { timeout: 20_000 }).toBeGreaterThan(0);
    const before = await points();
    // Each synthetic epoch takes 2 s and adds a train and a test point.
    await expect.poll(points, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 2);
    expect(await page.locator('[data-testid="legend"] .badge.status-running').count()).toBe(1);
    await shot(page, 'compare-live');
  });
});
