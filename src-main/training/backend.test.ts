import * as tf from '@tensorflow/tfjs';
import nodeUtil from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listBackends, restoreRemovedUtil, selectBackend } from './backend';
import {
  brokenNative,
  brokenNativeHost,
  fakeCandidates,
  removeBrokenNative,
  softwareOnly,
} from '../testing/fake-backends';

afterAll(async () => {
  await selectBackend('wasm');
});

describe('selectBackend', () => {
  it('picks the best available backend and says why better ones were skipped', async () => {
    const info = await selectBackend(null);
    // Native TensorFlow cannot be installed on this machine and its only WebGPU adapter is a software one; where
    // they are, the first assertion names them.
    // OpenBLAS (libopenblas0-pthread) is one of the packages the tests install, so blas starts here.
    expect(['tensorflow', 'webgpu', 'blas']).toContain(info.backend);
    expect(tf.getBackend()).toBe(info.backend);
    if (info.backend === 'blas') {
      expect(info.skipped.map((s) => s.backend)).toEqual(['tensorflow (GPU)', 'webgpu', 'tensorflow (CPU)']);
      expect(info.skipped[0].reason).toMatch(/@tensorflow\/tfjs-node-gpu (is not installed|failed to load)/);
    }
  });

  it('forces a named backend and checks it is the one running', async () => {
    expect(await selectBackend('cpu')).toEqual({ backend: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(await selectBackend('wasm')).toEqual({ backend: 'wasm', skipped: [] });
    expect(tf.getBackend()).toBe('wasm');
    expect(
      await selectBackend('auto', { candidates: [{ label: 'cpu', backend: 'cpu', nativePackage: null }] }),
    ).toEqual({ backend: 'cpu', skipped: [] });
  });

  it('refuses an unknown backend, listing the known ones', async () => {
    await expect(selectBackend('metal')).rejects.toThrow(
      /'metal' is not known; use one of tensorflow, webgpu, blas, wasm, cpu/,
    );
  });

  it('fails loudly when a forced backend cannot start', async () => {
    if ((await selectBackend(null)).backend === 'tensorflow') return;
    await expect(selectBackend('tensorflow')).rejects.toThrow(/backend 'tensorflow' could not start.*not installed/);
  });

  it('takes VAE_WORKBENCH_BACKEND when no backend is named, and checks it', async () => {
    process.env.VAE_WORKBENCH_BACKEND = 'cpu';
    try {
      expect((await selectBackend(null)).backend).toBe('cpu');
      // An explicit auto is the order, whatever the environment says.
      expect((await selectBackend('auto')).backend).not.toBe('cpu');
      process.env.VAE_WORKBENCH_BACKEND = 'cuda';
      await expect(selectBackend(null)).rejects.toThrow(
        /VAE_WORKBENCH_BACKEND = 'cuda' is not a backend; use one of auto/,
      );
    } finally {
      delete process.env.VAE_WORKBENCH_BACKEND;
    }
  });
});

describe('selectBackend with fakes', () => {
  afterEach(removeBrokenNative);

  it('skips a native backend whose first op throws, with the reason, and trains on the next', async () => {
    const info = await selectBackend(null, { host: brokenNativeHost(), candidates: fakeCandidates });
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.skipped[0]).toEqual({
      backend: 'tensorflow (CPU)',
      reason: '@tensorflow/tfjs-node: its first op failed: util_1.isNullOrUndefined is not a function',
    });
    expect(info.skipped[1]).toEqual({ backend: 'webgpu', reason: "the 'webgpu' package is not installed" });
  });

  it('refuses a software adapter without the flag, naming it and the flag', async () => {
    const info = await selectBackend(null, {
      host: brokenNativeHost(softwareOnly),
      candidates: fakeCandidates,
      allowSoftwareGpu: false,
    });
    expect(info.backend).toBe('cpu');
    expect(info.skipped[1].backend).toBe('webgpu');
    expect(info.skipped[1].reason).toMatch(
      /the only adapter is a software one \(llvmpipe: Mesa 25\.0\.7\).*--allow-software-gpu/,
    );
  });

  it('is an error naming why when the backend asked for cannot start: no silent fallback', async () => {
    await expect(
      selectBackend('webgpu', { host: brokenNativeHost(softwareOnly), candidates: fakeCandidates }),
    ).rejects.toThrow(/backend 'webgpu' could not start \(webgpu: the only adapter is a software one/);
    await expect(selectBackend(brokenNative, { host: brokenNativeHost(), candidates: fakeCandidates })).rejects.toThrow(
      /could not start.*isNullOrUndefined is not a function/,
    );
  });

  it('with the flag, goes on to load the webgpu backend for a software adapter', async () => {
    const host = { ...brokenNativeHost(softwareOnly), importWebgpuBackend: () => Promise.reject(new Error('no dawn')) };
    const info = await selectBackend(null, { host, candidates: fakeCandidates, allowSoftwareGpu: true });
    expect(info.skipped[1]).toEqual({
      backend: 'webgpu',
      reason: '@tensorflow/tfjs-backend-webgpu failed to load: no dawn',
    });
  });

  it('does not try Dawn inside Electron, saying why', async () => {
    const host = { ...brokenNativeHost(softwareOnly), electronVersion: '45.0.0' };
    const info = await selectBackend(null, { host, candidates: fakeCandidates, allowSoftwareGpu: true });
    expect(info.backend).toBe('cpu');
    expect(info.skipped[1].backend).toBe('webgpu');
    expect(info.skipped[1].reason).toMatch(/inside Electron 45\.0\.0 \(external ArrayBuffers are refused/);
  });

  it('lists every backend with why not, and the adapters found', async () => {
    const rows = await listBackends({ host: brokenNativeHost(softwareOnly), candidates: fakeCandidates });
    expect(rows.map((r) => [r.label, r.available])).toEqual([
      ['tensorflow (CPU)', false],
      ['webgpu', false],
      ['cpu', true],
    ]);
    expect(rows[1].adapters).toEqual([
      {
        vendor: 'mesa',
        architecture: 'software',
        device: 'llvmpipe',
        description: 'llvmpipe: Mesa 25.0.7',
        software: true,
      },
    ]);
  });
});

describe('restoreRemovedUtil', () => {
  it('puts back the helpers Node 23 removed, with their old meaning, and leaves existing ones', () => {
    const util = nodeUtil as unknown as Record<string, ((v: unknown) => boolean) | undefined>;
    restoreRemovedUtil();
    expect(util.isNullOrUndefined!(null)).toBe(true);
    expect(util.isNullOrUndefined!(undefined)).toBe(true);
    expect(util.isNullOrUndefined!(0)).toBe(false);
    expect(util.isArray!([])).toBe(true);
    expect(util.isArray!({ length: 0 })).toBe(false);
    expect(util.isPrimitive!('a')).toBe(true);
    expect(util.isPrimitive!({})).toBe(false);
    expect(restoreRemovedUtil()).toEqual([]);
  });
});
