import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RunningServer } from '../src-main/server/server';
import {
  badValueIsRefused,
  chooseBackend,
  exportReportFromCompare,
  queueBetaSweep,
  runsTableAndCompare,
  shot,
  watchQueue,
} from './workbench-flow';
import { callFromPage, openBrowserSession, openWindow, type BrowserSession } from './browser';
import type { MethodInput, MethodName } from '../src-shared/api';
import { entriesFromRunList } from '../src-shared/run-list';

describe('browser mode: queue a β sweep, watch it train, compare', () => {
  let session: BrowserSession;
  let dir: string;
  let server: RunningServer;
  let page: Page;

  beforeAll(async () => {
    session = await openBrowserSession({ name: 'flow' });
    ({ dir, server, page } = session);
    await openWindow(session);
  });

  afterAll(() => session?.close());

  it('shows the database the workbench uses in the header', async () => {
    const db = page.locator('[data-testid="db-path"]');
    await expect.poll(() => db.getAttribute('data-path')).toBe(session.dbPath);
    expect(await db.textContent()).toContain('flow.db');
  });

  it('refuses a request without the token (401) and from a foreign Origin (403)', async () => {
    const origin = new URL(server.url).origin;
    const none = await fetch(`${origin}/api/listRuns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(none.status).toBe(401);
    const foreign = await fetch(`${origin}/api/listRuns`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-workbench-token': server.token,
        origin: 'http://localhost:9999',
      },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
    // From inside the page, a request without the token is refused the same way.
    const status = await page.evaluate(
      async () =>
        (await fetch('/api/listRuns', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
          .status,
    );
    expect(status).toBe(401);
  });

  it('shows a bad value’s message and queues nothing', async () => {
    await shot(page, 'new-experiment');
    await badValueIsRefused(page);
    const runs = await callFromPage(page, server.token, 'listRuns', {});
    expect(runs.count).toBe(0);
  });

  it('queues β ∈ {0, 1, 4} from the form, shows progress, then three finished runs to compare', async () => {
    // blas by name (WebAssembly with OpenBLAS, which the test setup installs): a backend that could not start would fail
    // the runs, naming why.
    await chooseBackend(page, 'blas');
    await queueBetaSweep(page, 'e2e β sweep');
    await watchQueue(page, 300_000);
    await runsTableAndCompare(page);
    const trainedOn = entriesFromRunList(await callFromPage(page, server.token, 'listRuns', {})).map((r) => r.backend);
    expect(trainedOn).toEqual(['blas', 'blas', 'blas']);
  });

  it('exports a report of the compared runs: HTML, PDF and CSV downloads', async () => {
    const runNames = entriesFromRunList(await callFromPage(page, server.token, 'listRuns', {})).map((r) => r.name);
    expect(runNames).toHaveLength(3);
    await exportReportFromCompare(page, dir, runNames, 2);
  });

  it('a range in a sweep field makes a random search with a sample count; the Queue view sets runs at once', async () => {
    const api = <M extends MethodName>(method: M, input: MethodInput<M>) =>
      callFromPage(page, server.token, method, input);
    // Paused, so the drawn runs wait in the queue rather than train.
    await api('setQueuePaused', { paused: true });
    await page.locator('button.tab[data-view="new"]').click();
    const sweepBeta = page.locator('button[data-sweep="beta"]');
    if ((await sweepBeta.textContent())?.trim() === 'sweep') await sweepBeta.click();
    await page.locator('#field-beta').fill('0.5..8 log');
    await page.locator('[data-testid="search-samples"]').fill('4');
    await expect.poll(() => page.locator('[data-testid="run-count"]').textContent()).toMatch(/^\s*4\s+runs/);
    await expect.poll(() => page.locator('[data-testid="search-ranges"]').textContent()).toContain('0.5..8 log');
    await page.locator('[data-testid="early-stop"]').check();
    await page.locator('#experiment-name').fill('e2e random search');
    await page.locator('[data-testid="queue-button"]').click();
    await expect
      .poll(() => page.locator('[data-testid="queued-message"]').textContent())
      .toMatch(/Queued 4 runs .*search seed \d+/);
    const runs = entriesFromRunList(await api('listRuns', { status: ['queued'] }));
    expect(runs).toHaveLength(4);
    for (const run of runs) {
      expect(run.config.beta).toBeGreaterThanOrEqual(0.5);
      expect(run.config.beta).toBeLessThanOrEqual(8);
      // The stopping rule is a detail of the run, not a column of the list.
      expect((await api('getRun', { runId: run.id })).earlyStop).toBe('median');
    }

    await page.locator('button.tab[data-view="queue"]').click();
    // Each queued run is named by what differs within its own experiment (the drawn β), not across the database.
    const queuedLabels = async (): Promise<string[]> =>
      (await page.locator('[data-testid="queued-run"] .grow').allTextContents()).map((t) => t.split(' · ')[0]).sort();
    await expect.poll(queuedLabels).toEqual(runs.map((r) => `β = ${r.config.beta}`).sort());
    const workers = page.locator('[data-testid="queue-workers"]');
    await workers.fill('999');
    await workers.press('Enter');
    await workers.blur();
    await expect
      .poll(() => page.locator('.error-banner').textContent())
      .toMatch(/workers = 999: allowed: an integer from 1 to \d+/);
    await page.locator('.error-banner[role="alert"] button').click();
    await workers.fill('2');
    await workers.blur();
    await expect
      .poll(() => page.locator('[data-testid="queue-workers-in-force"]').textContent())
      .toContain('2 in force');
    await shot(page, 'queue-workers');
    expect(await api('getWorkers', {})).toMatchObject({ workers: 2, setting: 2 });
  });

  it('imports a folder of PNG images from the New experiment view, and offers it as a dataset', async () => {
    const folder = join(dir, 'my-images');
    for (const label of ['0', '1']) {
      mkdirSync(join(folder, label), { recursive: true });
      for (let i = 0; i < 10; i++) {
        const png = new PNG({ width: 16, height: 16 });
        png.data.fill(label === '0' ? 40 : 220);
        writeFileSync(join(folder, label, `${i}.png`), PNG.sync.write(png));
      }
    }
    await page.locator('button.tab[data-view="new"]').click();
    const importer = page.locator('[data-testid="import-images"]');
    await importer.locator('summary').click();
    // A bad folder is named with its problem.
    await page.locator('[data-testid="import-id"]').fill('my-images');
    await page.locator('[data-testid="import-folder"]').fill(join(dir, 'no-such-folder'));
    await page.locator('[data-testid="import-button"]').click();
    await expect.poll(() => page.locator('[data-testid="import-error"]').textContent()).toContain('no such folder');
    await page.locator('[data-testid="import-folder"]').fill(folder);
    await page.locator('[data-testid="import-size"]').fill('12');
    await page.locator('[data-testid="import-button"]').click();
    await expect
      .poll(() => page.locator('[data-testid="import-message"]').textContent())
      .toContain('Imported “my-images”: 18 train / 2 test images, 12×12');
    await expect.poll(() => page.locator('[data-field="dataset"] select option[value="my-images"]').count()).toBe(1);
    await shot(page, 'import-images');
  });

  it('says so when the server goes away', async () => {
    await server.close();
    await expect
      .poll(() => page.locator('.error-banner').textContent(), { timeout: 15_000 })
      .toContain('Lost the connection');
  });
});
