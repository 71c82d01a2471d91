import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type ExperimentConfig } from '../../src-shared/config';
import type { PortLike } from '../child/message-port';
import { builtinDatasetSource } from '../data/builtin';
import { loadDatasetSource } from '../data/load';
import type { DatasetSource, EpochResult, ImageDataset, ImageSplit } from '../records';
import { encodeIdx } from '../testing/idx-files';
import { selectBackend } from '../training/backend';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { TrainingHostHello } from '../training/training-host';
import { trainRun, type BatchProgress } from '../training/trainer';
import { TRAINING_PORT_MESSAGE } from './training-port';
import { trainingWindowChild } from './webgpu-window';

/**
 * The desktop app's WebGPU window, tested without Electron: the built page (out/renderer/training-host.html) in
 * Debian's Chromium, which offers WebGPU on its SwiftShader fallback adapter here (flags below). The page gets its
 * MessagePort the way the preload hands it over; main's side is the real one (webgpu-window.ts, the child kit and
 * the dataset service), bridged to the page's end of the port by Playwright in place of Electron's IPC.
 */

const outRenderer = resolve(__dirname, '../../out/renderer');
const hostPage = join(outRenderer, 'training-host.html');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Headless Chromium here needs only WebGPU switched on; its GPU process then offers SwiftShader (Vulkan on the CPU,
 * a fallback adapter). Asking for Vulkan natively (--use-vulkan=native, --use-angle=vulkan, VK_ICD_FILENAMES naming
 * Mesa's lavapipe) still gives SwiftShader; --disable-software-rasterizer gives no adapter at all.
 */
const webgpuFlags = ['--no-sandbox', '--enable-unsafe-webgpu'];

const prerequisite = !existsSync(chromiumPath)
  ? `${chromiumPath} is missing (apt-get install chromium, or set CHROMIUM_PATH)`
  : !existsSync(hostPage)
    ? `${hostPage} is missing: run \`npm run build\` first`
    : null;

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** out/renderer over http://127.0.0.1 (a secure context, so navigator.gpu exists; file:// pages cannot load modules here). */
function serveRenderer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    const path = normalize(join(outRenderer, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(outRenderer) || !existsSync(path)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    response.end(readFileSync(path));
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () =>
      done({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

function slice(split: ImageSplit, count: number): ImageSplit {
  const pixels = split.height * split.width;
  return { ...split, count, images: split.images.slice(0, count * pixels), labels: split.labels.slice(0, count) };
}

/** The first 640 MNIST training images (20 steps of 32) and 100 test images, as idx files the dataset service reads. */
async function mnistSubset(dir: string): Promise<{ source: DatasetSource; dataset: ImageDataset }> {
  const full = await loadDatasetSource(builtinDatasetSource('mnist'));
  const dataset: ImageDataset = { name: 'mnist', train: slice(full.train, 640), test: slice(full.test, 100) };
  const write = (name: string, split: ImageSplit, kind: 'images' | 'labels'): string => {
    const path = join(dir, name);
    const content =
      kind === 'images'
        ? { kind, count: split.count, height: split.height, width: split.width, data: split.images }
        : { kind, count: split.count, data: split.labels };
    writeFileSync(path, encodeIdx(content as Parameters<typeof encodeIdx>[0]));
    return path;
  };
  const source: DatasetSource = {
    kind: 'idx-files',
    name: 'mnist',
    trainImages: write('train-images', dataset.train, 'images'),
    trainLabels: write('train-labels', dataset.train, 'labels'),
    testImages: write('test-images', dataset.test, 'images'),
    testLabels: write('test-labels', dataset.test, 'labels'),
  };
  return { source, dataset };
}

/**
 * The reference MLP VAE (784-512-20, Adam 1e-3, Bernoulli decoder), one epoch of 20 steps; batches of 32 as in the
 * Dawn suite (training/webgpu.test.ts), since SwiftShader trains ~45 examples/s.
 */
const reference: ExperimentConfig = {
  ...defaultConfig,
  dataset: 'mnist',
  hiddenSizes: [512],
  latentDim: 20,
  batchSize: 32,
  epochs: 1,
  learningRate: 1e-3,
  checkpointEvery: 1,
};

/** The page's globals the bridge uses (this file is type-checked without the DOM library). */
interface PagePort {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}
interface BridgePage {
  MessageChannel: new () => { port1: PagePort; port2: PagePort };
  postMessage(message: unknown, targetOrigin: string, transfer: PagePort[]): void;
  __toMain(message: unknown): void;
  __main: PagePort;
}

interface WindowRun {
  hello: TrainingHostHello | null;
  messages: FromWorker[];
  exit: { code: number | null; signal: string | null };
  pageClosed: boolean;
}

/**
 * Opens the host page, hands it a port as the preload would, and trains one run through main's real side of the
 * window. Resolves when the window child has exited (the kit then destroys the window: here, closes the page).
 */
async function trainInWindow(browser: Browser, origin: string, start: ToWorker): Promise<WindowRun> {
  const page: Page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${origin}/training-host.html`);
  let deliver: (message: unknown) => void = () => undefined;
  await page.exposeFunction('__toMain', (message: unknown) => deliver(message));
  // The page's end goes to the page exactly as training-host-preload.ts posts it; main's end stays in the page,
  // bridged to Node (Electron's MessagePortMain would carry it across processes).
  await page.evaluate((tag) => {
    const page = globalThis as unknown as BridgePage;
    const channel = new page.MessageChannel();
    channel.port1.onmessage = (event) => page.__toMain(event.data);
    page.__main = channel.port1;
    page.postMessage(tag, '*', [channel.port2]);
  }, TRAINING_PORT_MESSAGE);
  let pageClosed = false;
  const port: PortLike = {
    postMessage: (message) =>
      void page
        .evaluate((m) => (globalThis as unknown as BridgePage).__main.postMessage(m), message)
        .catch(() => undefined),
    onMessage: (listener) => (deliver = listener),
    close: () => undefined,
  };
  let hello: TrainingHostHello | null = null;
  const child = trainingWindowChild(
    port,
    {
      destroy: () => {
        pageClosed = true;
        void page.close();
      },
      onGone: (listener) => page.on('crash', () => listener('crashed')),
    },
    { onHello: (h) => (hello = h) },
  );
  const messages: FromWorker[] = [];
  child.onMessage((message) => messages.push(message));
  const exit = new Promise<{ code: number | null; signal: string | null }>((done) =>
    child.onExit((code, signal) => done({ code, signal })),
  );
  child.send(start);
  const ended = await exit;
  const result = { hello, messages, exit: ended, pageClosed };
  expect(errors).toEqual([]);
  return result;
}

function relativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);
}

/** Chromium, the page's server and the adapter the page is offered; null with the reason when there is none. */
async function startChromium(): Promise<{ browser: Browser; server: Server; origin: string } | string> {
  const { server, origin } = await serveRenderer();
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: webgpuFlags });
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/training-host.html`);
    const found = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<object | null> } }).gpu;
      if (gpu === undefined) return 'navigator.gpu is undefined';
      return (await gpu.requestAdapter()) === null ? 'navigator.gpu.requestAdapter() returned null' : null;
    });
    if (found === null) return { browser, server, origin };
    await browser.close();
    server.close();
    return `Chromium (${webgpuFlags.join(' ')}) offers no WebGPU adapter: ${found}`;
  } finally {
    await page.close().catch(() => undefined);
  }
}

const chromiumHost = prerequisite === null ? await startChromium() : prerequisite;
const missing = typeof chromiumHost === 'string' ? chromiumHost : null;
if (missing !== null) console.warn(`WebGPU window suite skipped: ${missing}`);

describe.skipIf(missing !== null)("the desktop app's WebGPU window, in Chromium", () => {
  let browser: Browser;
  let server: Server;
  let origin: string;
  let dir: string;
  let source: DatasetSource;
  let dataset: ImageDataset;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vae-webgpu-window-'));
    ({ source, dataset } = await mnistSubset(dir));
    ({ browser, server, origin } = chromiumHost as Exclude<typeof chromiumHost, string>);
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = (allowSoftwareGpu: boolean): ToWorker => ({
    type: 'start',
    runId: 1,
    config: reference,
    dataset: source,
    resumeFrom: null,
    backend: 'webgpu',
    allowSoftwareGpu,
  });

  it('refuses the software adapter unless the run allows it, and closes the window', async () => {
    const run = await trainInWindow(browser, origin, start(false));
    // What main asks before routing a run with backend auto here: the page's adapter.
    expect(run.hello?.gpu).toMatchObject({ adapter: { software: true } });
    const failed = run.messages.find((m) => m.type === 'failed');
    expect(failed?.type === 'failed' && failed.message).toMatch(/only adapter is a software one.*--allow-software-gpu/);
    expect(run.messages.some((m) => m.type === 'ready')).toBe(false);
    expect(run.exit).toEqual({ code: 1, signal: null });
    expect(run.pageClosed).toBe(true);
  });

  it('trains 20 steps of the reference model with the losses of wasm (1e-4 relative), reports its adapter, and closes', async () => {
    const run = await trainInWindow(browser, origin, start(true));
    const ready = run.messages.find((m) => m.type === 'ready');
    expect(ready?.type === 'ready' && ready.backend.backend).toBe('webgpu');
    const adapter = ready?.type === 'ready' ? ready.backend.adapter : undefined;
    expect(adapter?.software).toBe(true);
    expect(adapter?.vendor).not.toBe('');
    console.info(`WebGPU window adapter: ${JSON.stringify(adapter)}`);

    // The same run in this process on wasm, every step's running means kept.
    await selectBackend('wasm');
    const wasmBatches: BatchProgress[] = [];
    let wasmEpoch: EpochResult | null = null;
    const outcome = await trainRun({
      config: reference,
      dataset,
      resumeFrom: null,
      batchIntervalMs: 0,
      onBatch: (b) => wasmBatches.push(b),
      onEpoch: (r) => void (wasmEpoch = r),
    });
    expect(outcome.status).toBe('finished');
    expect(wasmBatches).toHaveLength(20);

    const batches = run.messages.filter((m): m is BatchProgress => m.type === 'batch');
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.at(-1)!.batch).toBe(20);
    let worst = 0;
    for (const b of batches) {
      const w = wasmBatches[b.batch - 1];
      worst = Math.max(
        worst,
        relativeError(b.loss, w.loss),
        relativeError(b.recon, w.recon),
        relativeError(b.kl, w.kl),
      );
    }
    expect(worst).toBeLessThan(1e-4);
    const epoch = run.messages.find((m): m is EpochResult => m.type === 'epoch')!;
    const expected = wasmEpoch! as EpochResult;
    expect(relativeError(epoch.test.loss, expected.test.loss)).toBeLessThan(1e-4);
    expect(relativeError(epoch.test.kl, expected.test.kl)).toBeLessThan(1e-4);
    // The checkpoint crosses the port whole: every weight of the reference model, as Float32Array.
    expect(epoch.checkpoint?.weights.map((w) => w.name)).toEqual(expected.checkpoint?.weights.map((w) => w.name));
    expect(epoch.checkpoint?.weights[0].data).toBeInstanceOf(Float32Array);
    expect(epoch.images.samples).toHaveLength(8);
    console.info(
      `WebGPU window: final running loss ${batches.at(-1)!.loss.toFixed(4)} (wasm ${wasmBatches[19].loss.toFixed(4)}), largest relative difference ${worst.toExponential(1)} over ${batches.length} reported steps, ${epoch.examplesPerSec.toFixed(0)} examples/s`,
    );

    expect(run.messages.at(-1)).toEqual({ type: 'finished' });
    expect(run.exit).toEqual({ code: 0, signal: null });
    expect(run.pageClosed).toBe(true);
  });
});
