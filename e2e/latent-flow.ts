import type { Page } from 'playwright-core';

/**
 * The latent views' end-to-end checks (issue 4), for an e2e suite that serves the workbench (browser mode or the
 * desktop app) over a real database: scrubbing a slider changes the decoded pixels, two runs' manifolds render side
 * by side and differ, the scatter draws the number of points asked for, traversal rows come ordered by KL.
 * Each check throws with what it saw; `shot` saves a screenshot under the given name.
 */

export type ApiCall = (method: string, input: unknown) => Promise<unknown>;

export interface LatentE2eRuns {
  /** Two runs with a 2-D latent space (β = 1 and β = 4). */
  twoD: [number, number];
  /** A run with 10 latent dimensions. */
  tenD: number;
}

/** Queues the three small runs the checks need (MNIST subsets, 2 epochs each: about a minute on wasm). */
export async function queueLatentRuns(call: ApiCall): Promise<LatentE2eRuns> {
  const base = { trainSubset: 5000, testSubset: 1000, epochs: 2, checkpointKeep: 'all' };
  const twoD = (await call('queueSweep', {
    experimentName: 'e2e latent 2-D',
    sweep: { base: { ...base, latentDim: 2 }, axes: { beta: [1, 4] } },
  })) as { runIds: number[] };
  const tenD = (await call('queueSweep', {
    experimentName: 'e2e latent 10-D',
    sweep: { base: { ...base, latentDim: 10 }, axes: {} },
  })) as { runIds: number[] };
  return { twoD: [twoD.runIds[0], twoD.runIds[1]], tenD: tenD.runIds[0] };
}

export async function waitForRuns(call: ApiCall, runIds: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = (await Promise.all(runIds.map((runId) => call('getRun', { runId })))) as {
      id: number;
      status: string;
    }[];
    const bad = runs.find((r) => r.status === 'failed' || r.status === 'cancelled');
    if (bad) throw new Error(`run ${bad.id} ended ${bad.status}`);
    if (runs.every((r) => r.status === 'finished')) return;
    if (Date.now() > deadline)
      throw new Error(`runs not finished after ${timeoutMs} ms: ${runs.map((r) => `${r.id} ${r.status}`).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A hash of a canvas's red channel (the images are grey): equal hashes, equal pixels. */
function canvasHash(page: Page, selector: string, nth = 0): Promise<number> {
  return page.evaluate(
    ([sel, i]) => {
      type Canvas = {
        width: number;
        height: number;
        getContext(
          kind: '2d',
        ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
      };
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<Canvas> } }).document;
      const canvas = doc.querySelectorAll(sel as string)[i as number];
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let h = 2166136261;
      for (let p = 0; p < data.length; p += 4) h = Math.imul(h ^ data[p], 16777619) >>> 0;
      return h;
    },
    [selector, nth] as const,
  );
}

async function waitForRedraw(page: Page, selector: string, before: string | null): Promise<void> {
  await page.waitForFunction(
    ([sel, prev]) => {
      const doc = (
        globalThis as unknown as {
          document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
        }
      ).document;
      const el = doc.querySelector(sel as string);
      return el !== null && el.getAttribute('data-drawn') !== prev;
    },
    [selector, before] as const,
  );
}

export async function checkLatentViews(
  page: Page,
  url: string,
  runs: LatentE2eRuns,
  shot: (name: string) => Promise<unknown>,
): Promise<void> {
  await page.goto(`${url.replace(/#.*$/, '')}#/latent`);
  await page.locator('[data-testid="latent-run"]').waitFor();

  // Explorer: scrubbing z0 changes the decoded pixels.
  await page.locator('[data-testid="latent-run"]').selectOption(String(runs.twoD[0]));
  await page.locator('[data-latent-tab="explorer"]').click();
  const image = '[data-testid="explorer-image"]';
  await page.locator(image).waitFor();
  const before = await canvasHash(page, image);
  const drawn = await page.locator(image).getAttribute('data-drawn');
  await page.locator('[data-testid="latent-slider-0"]').focus();
  for (let i = 0; i < 150; i++) await page.keyboard.press('ArrowRight');
  await waitForRedraw(page, image, drawn);
  await page.waitForTimeout(300);
  const after = await canvasHash(page, image);
  if (after === before) throw new Error('explorer: moving z0 by +1.5 left the decoded image unchanged');
  await shot('latent-explorer');

  // Side by side: the two 2-D runs' manifolds, and they differ.
  await page.locator('[data-latent-tab="side-by-side"]').click();
  await page.locator('[data-testid="latent-side-by-side"] summary').click();
  const boxes = page.locator('[data-testid="latent-side-by-side"] .run-list input[type="checkbox"]');
  const labels = page.locator('[data-testid="latent-side-by-side"] .run-list label');
  const count = await boxes.count();
  for (let i = 0; i < count; i++) {
    const text = (await labels.nth(i).textContent()) ?? '';
    const id = Number(/#(\d+)/.exec(text)?.[1]);
    const want = id === runs.twoD[0] || id === runs.twoD[1];
    if ((await boxes.nth(i).isChecked()) !== want) await boxes.nth(i).click();
  }
  await page.waitForFunction(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } }).document;
    return doc.querySelectorAll('[data-testid="side-canvas"]').length === 2;
  });
  await page.waitForTimeout(500);
  const [a, b] = [
    await canvasHash(page, '[data-testid="side-canvas"]', 0),
    await canvasHash(page, '[data-testid="side-canvas"]', 1),
  ];
  if (a === b) throw new Error(`side by side: the manifolds of runs ${runs.twoD[0]} and ${runs.twoD[1]} are identical`);
  await shot('latent-side-by-side');

  // Scatter: 1,000 test points of the 10-D run through PCA.
  await page.locator('[data-latent-tab="scatter"]').click();
  await page.locator('[data-testid="latent-run"]').selectOption(String(runs.tenD));
  await page.locator('[data-testid="scatter-count"]').selectOption('1000');
  await page.waitForFunction(() => {
    const doc = (
      globalThis as unknown as {
        document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
      }
    ).document;
    return doc.querySelector('[data-testid="scatter-canvas"]')?.getAttribute('data-points') === '1000';
  });
  // Both axes carry values (at least three round numbers each).
  for (const axis of ['data-x-ticks', 'data-y-ticks']) {
    const ticks = (await page.locator('[data-testid="scatter-canvas"]').getAttribute(axis)) ?? '';
    if (!/^(\S+ ){2,}\S+$/.test(ticks) || ticks.split(' ').some((t) => Number.isNaN(Number(t.replace('−', '-'))))) {
      throw new Error(`scatter: ${axis} = ${JSON.stringify(ticks)}; expected three or more axis values`);
    }
  }
  await shot('latent-scatter');

  // Traversals: one row per dimension, KL non-increasing down the rows.
  await page.locator('[data-latent-tab="traversals"]').click();
  await page.waitForFunction(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } }).document;
    return doc.querySelectorAll('[data-testid="traversal-row"]').length === 10;
  });
  const kls = await page
    .locator('[data-testid="traversal-row"]')
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-kl'))));
  for (let i = 1; i < kls.length; i++) {
    if (kls[i] > kls[i - 1])
      throw new Error(
        `traversals: row ${i} has KL ${kls[i]} above row ${i - 1}'s ${kls[i - 1]}; rows must be ordered by KL`,
      );
  }
  await shot('latent-traversals');

  await page.locator('[data-latent-tab="manifold"]').click();
  await page.locator('[data-testid="latent-run"]').selectOption(String(runs.twoD[0]));
  await page.locator('[data-testid="manifold-canvas"]').waitFor();
  await shot('latent-manifold');
}
