import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backend';

afterAll(async () => {
  await selectBackend('wasm');
});

describe('selectBackend', () => {
  it('picks the best available backend and says why better ones were skipped', async () => {
    const info = await selectBackend(null);
    // Native TensorFlow cannot be installed on this machine; where it is, the first assertion names it.
    expect(['tensorflow', 'wasm']).toContain(info.backend);
    expect(tf.getBackend()).toBe(info.backend);
    if (info.backend === 'wasm') {
      expect(info.skipped.map((s) => s.backend)).toEqual(['tensorflow (GPU)', 'tensorflow (CPU)']);
      expect(info.skipped[0].reason).toMatch(/@tensorflow\/tfjs-node-gpu (is not installed|failed to load)/);
    }
  });

  it('forces a named backend and checks it is the one running', async () => {
    expect(await selectBackend('cpu')).toEqual({ backend: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(await selectBackend('wasm')).toEqual({ backend: 'wasm', skipped: [] });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('refuses an unknown backend, listing the known ones', async () => {
    await expect(selectBackend('webgpu')).rejects.toThrow(/'webgpu' is not known; use one of tensorflow, wasm, cpu/);
  });

  it('fails loudly when a forced backend cannot start', async () => {
    if ((await selectBackend(null)).backend === 'tensorflow') return;
    await expect(selectBackend('tensorflow')).rejects.toThrow(/backend 'tensorflow' could not start.*not installed/);
  });
});
