import { describe, expect, it, vi } from 'vitest';
import type { GpuAdapter } from '../../src-shared/runs';
import type { TrainingProcess } from '../queue/types';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { WindowGpuReport } from '../training/window-backend';
import { chooseTrainingHost, isInstalled, latentPreferenceInApp, routedTraining } from './training-route';
import { defaultConfig } from '../../src-shared/config';

const hardware: GpuAdapter = {
  vendor: 'nvidia',
  architecture: 'ampere',
  device: 'RTX',
  description: '',
  software: false,
};
const swiftshader: GpuAdapter = {
  vendor: 'google',
  architecture: 'swiftshader',
  device: '',
  description: '',
  software: true,
};

/** A training host that records what it was sent and lets the test speak for it. */
function fakeHost(name: string) {
  const sent: ToWorker[] = [];
  let onMessage: (m: FromWorker) => void = () => undefined;
  let onExit: (code: number | null, signal: string | null) => void = () => undefined;
  const handle: TrainingProcess = {
    pid: name === 'process' ? 101 : undefined,
    send: (m) => void sent.push(m),
    onMessage: (l) => (onMessage = l),
    onExit: (l) => (onExit = l),
    kill: vi.fn(() => onExit(null, 'SIGKILL')),
  };
  return { name, handle, sent, say: (m: FromWorker) => onMessage(m), exit: (c: number | null) => onExit(c, null) };
}

const start = (backend: string | null, allowSoftwareGpu?: boolean): ToWorker => ({
  type: 'start',
  runId: 7,
  config: defaultConfig,
  dataset: { kind: 'stored', name: 'digits', dbPath: '/tmp/x.db', datasetId: 'd1' },
  resumeFrom: null,
  backend,
  ...(allowSoftwareGpu === undefined ? {} : { allowSoftwareGpu }),
});

function setup(windowGpu: WindowGpuReport, env: Record<string, string> = {}, nativeGpu = false) {
  const process = fakeHost('process');
  const window = fakeHost('window');
  const probe = vi.fn(async () => windowGpu);
  const spawn = routedTraining({
    spawnProcess: () => process.handle,
    spawnWindow: () => window.handle,
    probeWindowGpu: probe,
    nativeGpuInstalled: () => nativeGpu,
    env,
  });
  return { process, window, probe, spawn };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('which host trains a run in the desktop app', () => {
  it('webgpu goes to the window, any other named backend to the process', () => {
    const base = { allowSoftwareGpu: false, nativeGpuInstalled: false, windowGpu: null };
    expect(chooseTrainingHost({ ...base, wanted: 'webgpu' })).toBe('window');
    for (const wanted of ['wasm', 'cpu', 'tensorflow'] as const) {
      expect(chooseTrainingHost({ ...base, wanted, windowGpu: { adapter: hardware } })).toBe('process');
    }
  });

  it('auto takes the window for a hardware adapter, a software one only when allowed, and CUDA TensorFlow first', () => {
    const auto = { wanted: null, allowSoftwareGpu: false, nativeGpuInstalled: false };
    expect(chooseTrainingHost({ ...auto, windowGpu: { adapter: hardware } })).toBe('window');
    expect(chooseTrainingHost({ ...auto, windowGpu: { adapter: swiftshader } })).toBe('process');
    expect(chooseTrainingHost({ ...auto, allowSoftwareGpu: true, windowGpu: { adapter: swiftshader } })).toBe('window');
    expect(chooseTrainingHost({ ...auto, windowGpu: { reason: 'no adapter' } })).toBe('process');
    expect(chooseTrainingHost({ ...auto, nativeGpuInstalled: true, windowGpu: { adapter: hardware } })).toBe('process');
  });
});

describe('the routed training handle the queue runner sees', () => {
  it('sends a webgpu run to the window with an explicit start, and forwards messages, stop and exit both ways', async () => {
    const { process, window, probe, spawn } = setup({ adapter: hardware }, { VAE_WORKBENCH_ALLOW_SOFTWARE_GPU: '1' });
    const child = spawn();
    const heard: FromWorker[] = [];
    const exits: (number | null)[] = [];
    child.onMessage((m) => heard.push(m));
    child.onExit((code) => exits.push(code));
    child.send(start('webgpu'));
    child.send({ type: 'stop' });
    await settle();
    expect(probe).not.toHaveBeenCalled();
    expect(process.sent).toEqual([]);
    // The page reads no environment: the software flag is resolved here.
    expect(window.sent).toEqual([{ ...start('webgpu'), allowSoftwareGpu: true }, { type: 'stop' }]);
    window.say({ type: 'finished' });
    window.exit(0);
    expect(heard).toEqual([{ type: 'finished' }]);
    expect(exits).toEqual([0]);
  });

  it('takes the backend from VAE_WORKBENCH_BACKEND when the run names none', async () => {
    const { process, window, spawn } = setup({ adapter: hardware }, { VAE_WORKBENCH_BACKEND: 'webgpu' });
    spawn().send(start(null));
    await settle();
    expect(window.sent[0]).toMatchObject({ backend: 'webgpu', allowSoftwareGpu: false });
    expect(process.sent).toEqual([]);
  });

  it('sends wasm to the process untouched', async () => {
    const { process, window, probe, spawn } = setup({ adapter: hardware });
    const child = spawn();
    child.send(start('wasm'));
    await settle();
    expect(process.sent).toEqual([start('wasm')]);
    expect(window.sent).toEqual([]);
    expect(probe).not.toHaveBeenCalled();
    expect(child.pid).toBe(101);
  });

  it('auto with only a software adapter in the window trains in the process, whose run says why webgpu was skipped', async () => {
    const { process, window, spawn } = setup({ adapter: swiftshader });
    const child = spawn();
    const heard: FromWorker[] = [];
    child.onMessage((m) => heard.push(m));
    child.send(start(null));
    await settle();
    expect(window.sent).toEqual([]);
    expect(process.sent).toEqual([start(null)]);
    process.say({
      type: 'ready',
      backend: {
        backend: 'wasm',
        skipped: [
          { backend: 'webgpu', reason: "Dawn's Node binding cannot read GPU buffers inside Electron 45" },
          { backend: 'tensorflow (CPU)', reason: 'not installed' },
        ],
      },
    });
    const ready = heard[0];
    expect(ready.type === 'ready' && ready.backend.skipped[0].reason).toMatch(
      /app's WebGPU window offers only a software adapter \(swiftshader\).*--allow-software-gpu/,
    );
    expect(ready.type === 'ready' && ready.backend.skipped[1].reason).toBe('not installed');
  });

  it('auto with a hardware adapter in the window trains there, and the run says why CUDA TensorFlow was skipped', async () => {
    const { process, window, probe, spawn } = setup({ adapter: hardware });
    const child = spawn();
    const heard: FromWorker[] = [];
    child.onMessage((m) => heard.push(m));
    child.send(start('auto'));
    await settle();
    expect(probe).toHaveBeenCalledTimes(1);
    expect(window.sent[0]).toMatchObject({ backend: 'webgpu', allowSoftwareGpu: false });
    expect(process.sent).toEqual([]);
    window.say({ type: 'ready', backend: { backend: 'webgpu', adapter: hardware, skipped: [] } });
    expect(heard).toEqual([
      {
        type: 'ready',
        backend: {
          backend: 'webgpu',
          adapter: hardware,
          skipped: [{ backend: 'tensorflow (GPU)', reason: '@tensorflow/tfjs-node-gpu is not installed' }],
        },
      },
    ]);
  });

  it('a window that cannot open fails the run with the reason, as a backend that cannot start would', async () => {
    const process = fakeHost('process');
    const spawn = routedTraining({
      spawnProcess: () => process.handle,
      spawnWindow: () => {
        throw new Error("the WebGPU window's page out/renderer/training-host.html is not built; run `npm run build`");
      },
      probeWindowGpu: async () => ({ adapter: hardware }),
      nativeGpuInstalled: () => false,
      env: {},
    });
    const child = spawn();
    const heard: FromWorker[] = [];
    const exits: (number | null)[] = [];
    child.onMessage((m) => heard.push(m));
    child.onExit((code) => exits.push(code));
    child.send(start('webgpu'));
    await settle();
    expect(heard).toEqual([
      { type: 'failed', epoch: 1, message: expect.stringMatching(/not built; run `npm run build`/) },
    ]);
    expect(exits).toEqual([1]);
    expect(process.sent).toEqual([]);
  });

  it('a run killed while its host is being chosen never starts one, and is reported killed', async () => {
    const { process, window, spawn } = setup({ adapter: hardware });
    const child = spawn();
    const exits: (string | null)[] = [];
    child.onExit((_code, signal) => exits.push(signal));
    child.send(start(null));
    child.kill();
    await settle();
    expect(exits).toEqual(['SIGKILL']);
    expect(window.sent).toEqual([]);
    expect(process.sent).toEqual([]);
  });

  it('the latent views, which need a process, decode a webgpu preference on the best other backend in the app', () => {
    expect(latentPreferenceInApp({ backend: 'webgpu', allowSoftwareGpu: true })).toEqual({
      backend: 'auto',
      allowSoftwareGpu: true,
    });
    expect(latentPreferenceInApp({ backend: 'wasm', allowSoftwareGpu: false })).toEqual({
      backend: 'wasm',
      allowSoftwareGpu: false,
    });
    expect(latentPreferenceInApp(undefined)).toBeUndefined();
  });

  it('knows whether an optional package is installed', () => {
    expect(isInstalled('zod')).toBe(true);
    expect(isInstalled('@tensorflow/tfjs-node-gpu-that-does-not-exist')).toBe(false);
  });
});
