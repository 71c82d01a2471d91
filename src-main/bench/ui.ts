// First: stops an old Node with a message before better-sqlite3 can crash it.
import '../require-node';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { chromium, type Page } from 'playwright-core';
import { encodeJson } from '../../src-shared/contract';
import { addSyntheticRuns, syntheticTraining } from '../testing/synthetic-runs';
import { openDatabase } from '../store/db';
import { startServer, type RunningServer } from '../server/server';
import { chromiumOptions } from '../testing/chromium';
import { benchLatentInBrowser, type LatentUiBench } from './latent-ui';
import { addUntrainedRun } from '../testing/latent-fixtures';
import { defaultConfig } from '../../src-shared/config';
import { quietTfjs } from '../tfjs-quiet';

quietTfjs();

/**
 * The UI's budgets, in one run:
 *  1. event-loop lag (p99) of the server process while a real run trains in its child process — target < 50 ms;
 *  2. time to render the runs table with 1,000 runs × 50 epochs in the database (`--runs N`: that many), while 2
 *     synthetic runs train (an epoch a second each, so the window receives run changes as it would) — target < 500 ms;
 *  3. on the run trained for (1), the reference MLP VAE: latent slider input → updated pixels p95 ≤ 16 ms, and a
 *     30×30 manifold decoded and drawn ≤ 250 ms (issue 4; measured by src-main/bench/latent-ui.ts);
 *  4. with the database of (2) and its 2 runs training: opening Compare on 8 runs until its charts are drawn, its
 *     interactions (log scale, epoch slider) to the next frame; opening the latent view until its manifold is drawn,
 *     and (3)'s slider and manifold figures, on an untrained reference MLP VAE (784-512-20) added to that database.
 * Usage: bench-ui [--runs N] [--runs-db PATH] [--train-subset N] [--epochs N] [--table-only]
 *   (needs the built renderer and training worker: npm run build; --table-only skips 1 and 3; --runs-db keeps the
 *   filled database at PATH and reuses it when it is there — filling 10,000 runs takes minutes — working on a copy)
 */

/** Runs inside the page (page.evaluate); this Node project has no DOM types. */
declare function requestAnimationFrame(callback: () => void): number;

interface Options {
  runs: number;
  trainSubset: number;
  epochs: number;
  tableOnly: boolean;
  runsDb: string | null;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 1000, trainSubset: 20_000, epochs: 3, tableOnly: false, runsDb: null };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (flag === '--table-only') {
      options.tableOnly = true;
      i -= 1;
      continue;
    }
    if (flag === '--runs-db') {
      if (!argv[i + 1]) throw new Error('--runs-db (missing): expected a file path');
      options.runsDb = argv[i + 1];
      continue;
    }
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${flag} ${argv[i + 1] ?? '(missing)'}: expected a positive integer`);
    if (flag === '--runs') options.runs = n;
    else if (flag === '--train-subset') options.trainSubset = n;
    else if (flag === '--epochs') options.epochs = n;
    else
      throw new Error(
        `unknown argument ${flag}; use --runs N, --train-subset N, --epochs N, --runs-db PATH, --table-only`,
      );
  }
  return options;
}

async function call(server: RunningServer, method: string, input: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-workbench-token': server.token },
    body: encodeJson(input),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (!res.ok) throw new Error(`${method}: ${body.error?.message ?? res.status}`);
  return body.result;
}

const ms = (ns: number): string => (ns / 1e6).toFixed(1);

/** Lag of this process's event loop while the reference MLP VAE trains in the child, with a browser watching. */
interface LagResult {
  p50: number;
  p99: number;
  max: number;
  seconds: number;
  backend: string | null;
  latent: LatentUiBench;
}

async function eventLoopLag(options: Options): Promise<LagResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vaew-bench-lag-'));
  const server = await startServer({ dbPath: join(dir, 'lag.db'), port: 0 });
  const browser = await chromium.launch(chromiumOptions());
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${server.url}#/queue`);
    const queued = (await call(server, 'queueSweep', {
      experimentName: 'bench: event-loop lag',
      sweep: { base: { trainSubset: options.trainSubset, testSubset: 1000, epochs: options.epochs }, axes: {} },
    })) as { runIds: number[] };
    const runId = queued.runIds[0];
    // Measure from the first epoch's batches (the child has loaded TF.js and the data) to the end of the run.
    let run = (await call(server, 'getRun', { runId })) as { status: string; backend: string | null };
    while (run.status === 'queued' || (run.status === 'running' && run.backend === null)) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await call(server, 'getRun', { runId })) as { status: string; backend: string | null };
    }
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const started = performance.now();
    // The compare view refetches a training run's metrics on every epoch; do the same traffic here.
    const traffic = setInterval(() => void call(server, 'listRuns', {}).catch(() => undefined), 500);
    while (run.status === 'running') {
      await new Promise((r) => setTimeout(r, 250));
      run = (await call(server, 'getRun', { runId })) as { status: string; backend: string | null };
    }
    clearInterval(traffic);
    histogram.disable();
    if (run.status !== 'finished') throw new Error(`the benchmark run ended ${run.status}`);
    const seconds = (performance.now() - started) / 1000;
    // The run just trained is the reference MLP VAE (784-512-20) with checkpoints: the latent views' subject.
    const latent = await benchLatentInBrowser(page, { url: server.url, runId });
    const [p50, p99] = [histogram.percentile(50), histogram.percentile(99)];
    return { p50, p99, max: histogram.max, seconds, backend: run.backend, latent };
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Cold load of the runs table (fetch `runs` summaries, render), switching to it, and re-sorting it, with 2 synthetic
 * runs training alongside.
 */
async function tableRender(
  runs: number,
  runsDb: string | null,
): Promise<{
  fillSec: number;
  coldMs: number;
  switchMs: number;
  sortMs: number;
  rowsInDom: number;
  listRunsMs: number;
  requests: { name: string; start: number; firstByte: number; end: number }[];
  compare: CompareBench;
  latent: LatentOpenBench;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'vaew-bench-table-'));
  const dbPath = join(dir, 'table.db');
  const fillStart = performance.now();
  if (runsDb !== null && existsSync(runsDb)) copyFileSync(runsDb, dbPath);
  else {
    const db = openDatabase(dbPath);
    addSyntheticRuns(db, { runs, epochs: 50 });
    db.close();
    if (runsDb !== null) copyFileSync(dbPath, runsDb);
  }
  const fillSec = (performance.now() - fillStart) / 1000;
  // The latent views need a checkpoint: an untrained reference MLP VAE decodes at the cost of a trained one.
  const latentRunId = withDatabase(dbPath, (db) =>
    addUntrainedRun(db, {
      experimentName: 'bench: latent views',
      config: { ...defaultConfig, epochs: 2, checkpointKeep: 'all' },
      shape: { height: 28, width: 28 },
    }),
  );
  const server = await startServer({
    dbPath,
    port: 0,
    workers: 2,
    spawn: () => syntheticTraining({ epochMs: 1000 }),
  });
  const browser = await chromium.launch(chromiumOptions());
  try {
    const queued = (await call(server, 'queueSweep', {
      experimentName: 'bench: training alongside',
      sweep: { base: { epochs: 10_000 }, axes: { seed: [1, 2] } },
    })) as { runIds: number[] };
    const training = async (): Promise<number> => {
      const states = await Promise.all(
        queued.runIds.map((runId) => call(server, 'getRun', { runId }) as Promise<{ status: string }>),
      );
      return states.filter((r) => r.status === 'running').length;
    };
    while ((await training()) < 2) await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await call(server, 'listRuns', {});
    const listRunsMs = performance.now() - t0;

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // Warm the browser's cache of the built assets so the numbers are about our code, not disk reads.
    await page.goto(`${server.url}#/new`);
    await page.locator('button.tab[data-view="runs"]').waitFor();

    const coldRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto('about:blank');
      await page.goto(`${server.url}#/runs`);
      await page.locator('[data-testid="runs-table"] .tr').first().waitFor();
      // From navigation start to the frame after the rows exist: fetch, JSON, Svelte render and layout.
      coldRuns.push(
        await page.evaluate(() => new Promise<number>((r) => requestAnimationFrame(() => r(performance.now())))),
      );
    }
    // Where the last cold load's time went: each request's start and end, from navigation start.
    const requests = await page.evaluate(() =>
      (
        performance.getEntriesByType('resource') as unknown as {
          name: string;
          startTime: number;
          responseStart: number;
          responseEnd: number;
        }[]
      ).map((e) => ({
        name: e.name.replace(/^.*\/(api\/)?/, '').replace(/\?.*$/, ''),
        start: e.startTime,
        firstByte: e.responseStart,
        end: e.responseEnd,
      })),
    );

    const switchRuns: number[] = [];
    const sortRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.locator('button.tab[data-view="new"]').click();
      await page.locator('[data-testid="queue-button"]').waitFor();
      switchRuns.push(
        await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const doc = (
                globalThis as unknown as { document: { querySelector(s: string): { click(): void } | null } }
              ).document;
              const start = performance.now();
              doc.querySelector('button.tab[data-view="runs"]')!.click();
              const check = (): void => {
                if (doc.querySelector('[data-testid="runs-table"] .tr'))
                  requestAnimationFrame(() => resolve(performance.now() - start));
                else requestAnimationFrame(check);
              };
              check();
            }),
        ),
      );
      sortRuns.push(
        await page.evaluate(
          (column) =>
            new Promise<number>((resolve) => {
              const doc = (
                globalThis as unknown as {
                  document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null; click(): void }> };
                }
              ).document;
              const header = Array.from(doc.querySelectorAll('.th')).find((h) => h.textContent?.includes(column));
              const start = performance.now();
              header!.click();
              // Svelte flushes on a microtask; the next frame has the sorted rows laid out.
              requestAnimationFrame(() => resolve(performance.now() - start));
            }),
          i % 2 === 0 ? 'Test ELBO' : 'KL',
        ),
      );
    }
    const rowsInDom = await page.locator('[data-testid="runs-table"] .tr').count();
    const compare = await compareUnderLoad(page);
    const latent = await latentUnderLoad(page, server.url, latentRunId);
    const trainingAtEnd = await training();
    if (trainingAtEnd !== 2) throw new Error(`expected 2 runs training throughout; ${trainingAtEnd} were at the end`);
    return {
      fillSec,
      coldMs: median(coldRuns),
      switchMs: median(switchRuns),
      sortMs: median(sortRuns),
      rowsInDom,
      listRunsMs,
      requests,
      compare,
      latent,
    };
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function withDatabase<T>(path: string, work: (db: ReturnType<typeof openDatabase>) => T): T {
  const db = openDatabase(path);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** What a timed step does in the page, and what must be on the page before the frame that ends it. */
interface FrameStep {
  /** Clicks this element, or sets this range input's value and fires its input event. */
  click?: string;
  input?: { selector: string; value: (max: number) => string };
  ready?: { charts: number; runImages: number } | { drawn: string };
}

/** In the page: does the step, then resolves with the ms until its `ready` holds at a frame, and that frame is drawn. */
async function timeToFrame(page: Page, step: FrameStep): Promise<number> {
  const plain = {
    click: step.click,
    input: step.input && { selector: step.input.selector },
    ready: step.ready,
  };
  const max = step.input ? Number(await page.locator(step.input.selector).getAttribute('max')) : 0;
  const value = step.input ? step.input.value(max) : '';
  return page.evaluate(
    ({ step, value }) =>
      new Promise<number>((resolve, reject) => {
        type El = {
          click(): void;
          value: string;
          dataset: Record<string, string | undefined>;
          dispatchEvent(e: unknown): boolean;
        };
        const doc = (
          globalThis as unknown as {
            document: { querySelector(s: string): El | null; querySelectorAll(s: string): ArrayLike<El> };
          }
        ).document;
        const EventCtor = (globalThis as unknown as { Event: new (t: string, i: { bubbles: boolean }) => unknown })
          .Event;
        const ready = (): boolean => {
          const r = step.ready;
          if (r === undefined) return true;
          if ('drawn' in r) return doc.querySelector(r.drawn)?.dataset.drawn !== undefined;
          const charts = Array.from(doc.querySelectorAll('[data-testid="metric-chart"]'));
          return (
            charts.length >= r.charts &&
            charts.every((c) => Number(c.dataset.points) > 0) &&
            doc.querySelectorAll('[data-testid="run-images"]').length === r.runImages
          );
        };
        const start = performance.now();
        if (step.click) doc.querySelector(step.click)!.click();
        if (step.input) {
          const input = doc.querySelector(step.input.selector)!;
          input.value = value;
          input.dispatchEvent(new EventCtor('input', { bubbles: true }));
        }
        const check = (): void => {
          if (performance.now() - start > 30_000) return reject(new Error(`not ready after 30 s`));
          if (ready()) requestAnimationFrame(() => resolve(performance.now() - start));
          else requestAnimationFrame(check);
        };
        // A microtask first: Svelte applies the change before the frame that is timed.
        queueMicrotask(check);
      }),
    { step: plain, value },
  );
}

interface CompareBench {
  runs: number;
  openMs: number;
  logToggleMs: number;
  epochSliderMs: number;
}

/** Compare on the 8 newest runs (the 2 in training among them), from the Runs view. */
async function compareUnderLoad(page: Page): Promise<CompareBench> {
  await page.locator('button.tab[data-view="runs"]').click();
  const boxes = page.locator('[data-testid="runs-table"] .tr input[type="checkbox"]');
  await boxes.first().waitFor();
  const runs = 8;
  for (let i = 0; i < runs; i++) await boxes.nth(i).check();
  // Drawn: every chart has its curves, and a panel of images per run.
  const openMs = await timeToFrame(page, {
    click: '[data-testid="compare-button"]',
    ready: { charts: 3, runImages: runs },
  });
  const logToggle: number[] = [];
  const slider: number[] = [];
  for (let i = 0; i < 6; i++) {
    logToggle.push(await timeToFrame(page, { click: '[data-testid="log-toggle"]' }));
    slider.push(
      await timeToFrame(page, {
        input: { selector: '[data-testid="epoch-slider"]', value: (max) => String(1 + ((i * 7) % max)) },
      }),
    );
  }
  return { runs, openMs, logToggleMs: median(logToggle), epochSliderMs: median(slider) };
}

interface LatentOpenBench {
  /** The first time: the latent process starts and loads the checkpoint. */
  openMs: number;
  reopenMs: number;
  views: LatentUiBench;
}

/** The latent view on the untrained reference run (the only one selected, so it opens on it). */
async function latentUnderLoad(page: Page, url: string, runId: number): Promise<LatentOpenBench> {
  await page.locator('button.tab[data-view="runs"]').click();
  await page.locator('[data-testid="runs-table"] .tr').first().waitFor();
  const clear = page.locator('.toolbar button', { hasText: 'Clear' });
  if (await clear.count()) await clear.click();
  await page.locator(`input[aria-label="Select run ${runId}"]`).check();
  const openMs = await timeToFrame(page, {
    click: 'button.tab[data-view="latent"]',
    ready: { drawn: '[data-testid="manifold-canvas"]' },
  });
  // Again, with the latent process started and the checkpoint loaded: what opening costs the window itself.
  await page.locator('button.tab[data-view="runs"]').click();
  await page.locator('[data-testid="runs-table"] .tr').first().waitFor();
  const reopenMs = await timeToFrame(page, {
    click: 'button.tab[data-view="latent"]',
    ready: { drawn: '[data-testid="manifold-canvas"]' },
  });
  const views = await benchLatentInBrowser(page, { url, runId, sliderUpdates: 100 });
  return { openMs, reopenMs, views };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const table = await tableRender(options.runs, options.runsDb);
  const runs = options.runs.toLocaleString('en');
  console.log(
    `runs table, ${runs} runs × 50 epochs, 2 runs training (database filled in ${table.fillSec.toFixed(1)} s):`,
  );
  console.log(
    `  cold load to rendered rows  ${table.coldMs.toFixed(0)} ms (median of 3)   target < 500 ms  ${table.coldMs < 500 ? 'PASS' : 'FAIL'}`,
  );
  console.log(`  listRuns over HTTP          ${table.listRunsMs.toFixed(0)} ms`);
  console.log(`  switch to the Runs view     ${table.switchMs.toFixed(0)} ms`);
  console.log(`  re-sort ${runs} rows`.padEnd(29) + `${table.sortMs.toFixed(0)} ms`);
  console.log(`  rows in the DOM             ${table.rowsInDom}`);
  console.log('  the last cold load, ms from navigation start (request sent → first byte → last byte):');
  for (const r of table.requests)
    console.log(`    ${r.name.padEnd(26)} ${r.start.toFixed(0)} → ${r.firstByte.toFixed(0)} → ${r.end.toFixed(0)}`);
  const { compare, latent: latentOpen } = table;
  console.log(`compare view, ${compare.runs} runs (2 of them training), the same database:`);
  console.log(`  open Compare to charts drawn ${compare.openMs.toFixed(0)} ms`);
  console.log(`  log scale on/off to frame    ${compare.logToggleMs.toFixed(0)} ms (median of 6)`);
  console.log(`  epoch slider to frame        ${compare.epochSliderMs.toFixed(0)} ms (median of 6)`);
  const lv = latentOpen.views;
  console.log('latent view, untrained reference MLP VAE (784-512-20), the same database:');
  console.log(`  open the view to its manifold drawn  ${latentOpen.openMs.toFixed(0)} ms (latent process started)`);
  console.log(`  open it again                        ${latentOpen.reopenMs.toFixed(0)} ms`);
  console.log(
    `  slider input → updated pixels  p95 ${lv.sliderToPixelsP95Ms.toFixed(1)} ms (median ${lv.sliderToPixelsMedianMs.toFixed(1)} ms)   target ≤ 16 ms  ${lv.sliderToPixelsP95Ms <= 16 ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `  30×30 manifold decoded and drawn  ${lv.manifold30DrawnMs.toFixed(0)} ms (median of 5)   target ≤ 250 ms  ${lv.manifold30DrawnMs <= 250 ? 'PASS' : 'FAIL'}`,
  );
  if (options.tableOnly) {
    if (table.coldMs >= 500) process.exitCode = 1;
    return;
  }

  const lag = await eventLoopLag(options);
  console.log(
    `event-loop lag of the server while run trains (${options.trainSubset} examples × ${options.epochs} epochs, ${lag.backend}, ${lag.seconds.toFixed(0)} s measured):`,
  );
  console.log(
    `  p50 ${ms(lag.p50)} ms, p99 ${ms(lag.p99)} ms, max ${ms(lag.max)} ms   target p99 < 50 ms  ${lag.p99 / 1e6 < 50 ? 'PASS' : 'FAIL'}`,
  );
  const { latent } = lag;
  const slider = latent.sliderToPixelsP95Ms;
  console.log('latent views on that run (the reference MLP VAE, 784-512-20):');
  console.log(
    `  slider input → updated pixels  p95 ${slider.toFixed(1)} ms (median ${latent.sliderToPixelsMedianMs.toFixed(1)} ms)   target ≤ 16 ms  ${slider <= 16 ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `  30×30 manifold decoded and drawn  ${latent.manifold30DrawnMs.toFixed(0)} ms (median of 5)   target ≤ 250 ms  ${latent.manifold30DrawnMs <= 250 ? 'PASS' : 'FAIL'}`,
  );
  if (table.coldMs >= 500 || lag.p99 / 1e6 >= 50 || slider > 16 || latent.manifold30DrawnMs > 250) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
