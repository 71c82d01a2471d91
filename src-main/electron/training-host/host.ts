import type { PortLike } from '../../child/message-port';
import { reportHostCrash, runTrainingHost, type TrainingHostPort } from '../../training/training-host';
import type { GpuLike } from '../../training/webgpu-proof';
import { TRAINING_PORT_MESSAGE } from '../training-port';

/**
 * Entry of the desktop app's hidden WebGPU window (out/renderer/training-host.html): trains one run on Chromium's
 * navigator.gpu with the training process's own loop and trainer, talking to main over the MessagePort its preload
 * hands over. Sandboxed, no Node: datasets come from main (training-host.ts). Main closes the window when it exits.
 */

/** The DOM's MessagePort, as much of it as is used (this file is type-checked without the DOM library). */
interface DomPort {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  start(): void;
  close(): void;
}

interface HostPage {
  navigator: { gpu?: GpuLike };
  addEventListener(
    type: 'message',
    listener: (event: { data: unknown; source: unknown; ports: readonly DomPort[] }) => void,
  ): void;
  addEventListener(type: 'error', listener: (event: { error?: unknown; message?: string }) => void): void;
  addEventListener(type: 'unhandledrejection', listener: (event: { reason?: unknown }) => void): void;
}

const page = globalThis as unknown as HostPage;

function portOf(port: DomPort): PortLike {
  return {
    postMessage: (message) => port.postMessage(message),
    onMessage: (listener) => {
      port.addEventListener('message', (event) => listener(event.data));
      port.start();
    },
    close: () => port.close(),
  };
}

let parent: Promise<TrainingHostPort> | null = null;

page.addEventListener('message', (event) => {
  // Only this page's own preload (same window) hands over a port, and only once.
  if (parent !== null || event.source !== globalThis || event.data !== TRAINING_PORT_MESSAGE) return;
  if (event.ports.length !== 1) return;
  parent = runTrainingHost(portOf(event.ports[0]), {
    gpu: page.navigator.gpu,
    importWebgpuBackend: async () => {
      await import('@tensorflow/tfjs-backend-webgpu');
    },
  });
});

page.addEventListener('error', (event) => {
  void parent?.then((p) => reportHostCrash(p, event.error ?? event.message));
});
page.addEventListener('unhandledrejection', (event) => {
  void parent?.then((p) => reportHostCrash(p, event.reason));
});
