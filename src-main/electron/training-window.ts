import { BrowserWindow, MessageChannelMain } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PortLike } from '../child/message-port';
import type { TrainingProcess } from '../queue/types';
import type { WindowGpuReport } from '../training/window-backend';
import type { TrainingHostHello } from '../training/training-host';
import { TRAINING_PORT_CHANNEL } from './training-port';
import { trainingWindowChild } from './webgpu-window';

/**
 * The hidden WebGPU window: a sandboxed page without Node (its own CSP, its own preload that hands over one
 * MessagePort and exposes nothing) that trains one run on Chromium's navigator.gpu and closes when it is done.
 * Kept thin: what can be decided without Electron is in webgpu-window.ts and training-route.ts, tested there.
 */

const hostPage = (mainDir: string): string => join(mainDir, '../renderer/training-host.html');
const hostPreload = (mainDir: string): string => join(mainDir, '../preload/training-host.js');

export function openTrainingWindow(mainDir: string, onHello?: (hello: TrainingHostHello) => void): TrainingProcess {
  const page = hostPage(mainDir);
  // `electron-vite dev` serves the renderer without writing it: the page exists only after a build.
  if (!existsSync(page)) {
    throw new Error(
      `the WebGPU window's page ${page} is not built; run \`npm run build\`, or train on another backend`,
    );
  }
  const window = new BrowserWindow({
    show: false,
    webPreferences: {
      preload: hostPreload(mainDir),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      // A hidden window is throttled like a background tab unless told otherwise: training would crawl.
      backgroundThrottling: false,
      spellcheck: false,
    },
  });
  const contents = window.webContents;
  const goneListeners: ((reason: string) => void)[] = [];
  const gone = (reason: string): void => {
    for (const listener of goneListeners.splice(0)) listener(reason);
  };
  contents.on('render-process-gone', (_event, details) => gone(`the WebGPU window's renderer ${details.reason}`));
  window.on('closed', () => gone('the WebGPU window was closed'));
  contents.on('preload-error', (_event, path, error) =>
    console.error(`WebGPU window: ${path} failed: ${error.message}`),
  );
  // The page never navigates or opens anything.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));

  const { port1, port2 } = new MessageChannelMain();
  contents.once('did-finish-load', () => contents.postMessage(TRAINING_PORT_CHANNEL, null, [port2]));
  const port: PortLike = {
    postMessage: (message) => port1.postMessage(message),
    onMessage: (listener) => {
      port1.on('message', (event) => listener(event.data));
      port1.start();
    },
    close: () => port1.close(),
  };
  const child = trainingWindowChild(
    port,
    {
      destroy: () => {
        if (!window.isDestroyed()) window.destroy();
      },
      onGone: (listener) => goneListeners.push(listener),
    },
    onHello ? { onHello } : {},
  );
  void window.loadFile(page);
  return child;
}

/** What the window's WebGPU offers here: opens a window, reads its hello, closes it. */
export function probeWindowGpu(mainDir: string): Promise<WindowGpuReport> {
  return new Promise((resolve, reject) => {
    let child: TrainingProcess;
    try {
      child = openTrainingWindow(mainDir, (hello) => {
        resolve(hello.gpu);
        child.kill();
      });
    } catch (error) {
      reject(error as Error);
      return;
    }
    child.onExit((code, signal) =>
      resolve({ reason: `the WebGPU window ended before it answered (${signal ?? code})` }),
    );
  });
}
