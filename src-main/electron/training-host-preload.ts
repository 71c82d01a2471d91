import { ipcRenderer } from 'electron';
import { TRAINING_PORT_CHANNEL, TRAINING_PORT_MESSAGE } from './training-port';

/**
 * The hidden WebGPU window's only preload: it passes the MessagePort main sends, once, to the page and exposes
 * nothing else (no contextBridge API, no ipcRenderer). A MessagePort cannot cross contextBridge, so it goes by
 * window.postMessage, the way Electron's context-isolation guide does it.
 */
const page = globalThis as unknown as {
  postMessage(message: unknown, targetOrigin: string, transfer: readonly unknown[]): void;
};
ipcRenderer.once(TRAINING_PORT_CHANNEL, (event) => page.postMessage(TRAINING_PORT_MESSAGE, '*', event.ports));
