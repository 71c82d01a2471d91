import { beforeAll } from 'vitest';
import { defaultConfig, type ExperimentConfig } from '../../src-shared/config';
import { selectBackend } from '../training/backend';

/** The engine's tests run on wasm, the backend every machine has: selected once before the file's tests. */
export function onWasm(): void {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
}

/** A small MLP VAE for the rectangles dataset (src-main/testing/rectangles-dataset.ts): trains in seconds. */
export function rectanglesConfig(overrides: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return {
    ...defaultConfig,
    dataset: 'rectangles',
    hiddenSizes: [32],
    latentDim: 4,
    batchSize: 50,
    epochs: 2,
    learningRate: 3e-3,
    ...overrides,
  };
}
