import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { quietTfjs } from './tfjs-quiet';

describe('quietTfjs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('keeps TF.js from printing its "install our node backend" banner', async () => {
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.join(' ')));
    const firstUse = async (name: string): Promise<void> => {
      tf.registerBackend(name, () => new MathBackendCPU());
      expect(await tf.setBackend(name)).toBe(true);
      tf.tensor([1, 2, 3]).dispose();
    };
    // Loud by default (the check can fail)…
    tf.env().set('PROD', false);
    await firstUse('cpu-loud');
    expect(warnings.join('\n')).toMatch(/install our node backend/);
    warnings.length = 0;
    // …and quiet once asked.
    quietTfjs();
    await firstUse('cpu-quiet');
    expect(warnings.join('\n')).not.toMatch(/install our node backend/);
  });
});
