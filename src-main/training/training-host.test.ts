import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src-shared/config';
import { portChild, type PortLike } from '../child/message-port';
import type { DatasetSource, ImageDataset } from '../records';
import { rectanglesDataset } from '../testing/rectangles-dataset';
import type { FromWorker, ToWorker } from './protocol';
import { runTrainingHost, type TrainingHostHello, type TrainingHostServices } from './training-host';
import type { GpuLike } from './webgpu-proof';

/**
 * The page side of the WebGPU window over a Node MessageChannel: the protocol bridging and the adapter checks that
 * need no GPU. Training itself on Chromium's WebGPU is tested in electron/webgpu-window.test.ts.
 */

function nodePort(port: MessagePort): PortLike {
  return {
    postMessage: (message) => port.postMessage(message),
    onMessage: (listener) => port.on('message', listener),
    close: () => port.close(),
  };
}

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

const source: DatasetSource = { kind: 'stored', name: 'rectangles', dbPath: '/nowhere.db', datasetId: 'r' };

async function host(gpu: GpuLike | undefined, start: Partial<Extract<ToWorker, { type: 'start' }>> = {}) {
  const channel = new MessageChannel();
  channels.push(channel);
  const asked: DatasetSource[] = [];
  let hello: TrainingHostHello | null = null;
  const child = portChild<ToWorker, FromWorker, TrainingHostServices>(nodePort(channel.port1), {
    services: {
      dataset: async (s): Promise<ImageDataset> => {
        asked.push(s);
        return rectanglesDataset({ train: 10, test: 5 });
      },
    },
    destroy: () => undefined,
    onGone: () => undefined,
    onHello: (about) => (hello = about as TrainingHostHello),
  });
  const messages: FromWorker[] = [];
  child.onMessage((m) => messages.push(m));
  const exit = new Promise<number | null>((done) => child.onExit((code) => done(code)));
  child.send({
    type: 'start',
    runId: 3,
    config: { ...defaultConfig, dataset: 'rectangles' },
    dataset: source,
    resumeFrom: null,
    backend: 'webgpu',
    allowSoftwareGpu: false,
    ...start,
  });
  await runTrainingHost(nodePort(channel.port2), { gpu, importWebgpuBackend: async () => undefined });
  return { messages, code: await exit, hello: () => hello, asked };
}

const software: GpuLike = {
  requestAdapter: async () => ({ info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } }),
};

describe('the training loop hosted by a page', () => {
  it('fails a run where the page has no WebGPU, saying so, and exits with code 1', async () => {
    const run = await host(undefined);
    expect(run.hello()).toEqual({
      gpu: { reason: "Chromium's WebGPU is unavailable: this page has no navigator.gpu" },
    });
    expect(run.messages).toEqual([
      { type: 'failed', epoch: 1, message: expect.stringMatching(/webgpu in the app's window: .*no navigator\.gpu/) },
    ]);
    expect(run.code).toBe(1);
    expect(run.asked).toEqual([]);
  });

  it('refuses a software adapter unless the run allows it, and trains webgpu only', async () => {
    const refused = await host(software);
    expect(refused.hello()).toEqual({
      gpu: { adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', software: true } },
    });
    expect(refused.messages[0]).toMatchObject({
      type: 'failed',
      message: expect.stringMatching(/only adapter is a software one \(google\).*--allow-software-gpu/),
    });
    const wasm = await host(software, { backend: 'wasm' });
    expect(wasm.messages[0]).toMatchObject({
      type: 'failed',
      message: expect.stringMatching(/trains on webgpu only, not 'wasm'/),
    });
    expect(wasm.code).toBe(1);
  });

  it('stops before training when a stop arrives first', async () => {
    const channel = new MessageChannel();
    channels.push(channel);
    const child = portChild<ToWorker, FromWorker, TrainingHostServices>(nodePort(channel.port1), {
      services: { dataset: async () => rectanglesDataset({ train: 10, test: 5 }) },
      destroy: () => undefined,
      onGone: () => undefined,
    });
    const exit = new Promise<number | null>((done) => child.onExit((code) => done(code)));
    child.send({ type: 'stop' });
    await runTrainingHost(nodePort(channel.port2), { gpu: undefined, importWebgpuBackend: async () => undefined });
    expect(await exit).toBe(0);
  });
});
