import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defaultConfig, parseConfig } from '../../src-shared/config';
import { builtinDatasetSource, mnistDataDir } from '../data/builtin';
import { loadDatasetSource } from '../data/load';
import type { ImageDataset } from '../records';
import { selectBackend } from '../training/backend';
import { gatherExamples, testPixelMode } from '../training/data';
import { estimateNll } from '../training/losses';
import { disposeModel, loadModel } from '../training/model';
import { trainRun } from '../training/trainer';
import { loadAverage } from './measure';
import { positiveIntegerFlags, requireTorch, TorchReference } from './torch';

/**
 * Parity with PyTorch: the reference MLP VAE (784-512-20, dynamically binarized MNIST, batch 128, Adam 1e-3,
 * PyTorch's default initialisation on both sides) trained by the workbench and by PyTorch
 * (src-main/bench/torch_reference.py, parity mode) on the same idx files, seed by seed; then the test ELBO (all 10,000
 * test images, binarized once) and the importance-sampled NLL with k samples on the first test images, on both sides.
 * Usage: bench-parity [--epochs 5] [--seeds 3] [--train-subset N] [--nll-examples 1000] [--k 1000] [--threads 2]
 */

/** How far apart the two sides may be, in nats per example. */
const TARGET = 0.5;

interface Options {
  epochs: number;
  seeds: number;
  trainSubset: number | null;
  nllExamples: number;
  k: number;
  threads: number;
}

interface SideResult {
  testElbo: number;
  nll: number;
  seconds: number;
}

function parseArgs(argv: string[]): Options {
  const options = positiveIntegerFlags<Options>(argv, {
    epochs: 5,
    seeds: 3,
    trainSubset: null,
    nllExamples: 1000,
    k: 1000,
    threads: 2,
  });
  if (options.nllExamples > 10000)
    throw new Error(`--nll-examples ${options.nllExamples}: MNIST has 10000 test images`);
  if (options.trainSubset !== null && options.trainSubset > 60000) {
    throw new Error(`--train-subset ${options.trainSubset}: MNIST has 60000 training images`);
  }
  return options;
}

async function workbenchSide(dataset: ImageDataset, options: Options, seed: number): Promise<SideResult> {
  const start = performance.now();
  const config = parseConfig({
    ...defaultConfig,
    binarization: 'dynamic',
    init: 'pytorch',
    epochs: options.epochs,
    seed,
    trainSubset: options.trainSubset,
    checkpointEvery: 10000,
    checkpointKeep: 'last',
  });
  let testElbo = NaN;
  let weights = null as Parameters<typeof loadModel>[2] | null;
  const outcome = await trainRun({
    config,
    dataset,
    resumeFrom: null,
    onEpoch: (result) => {
      testElbo = result.test.elbo;
      if (result.checkpoint !== null) weights = result.checkpoint.weights;
    },
  });
  if (outcome.status !== 'finished' || weights === null) {
    throw new Error(`workbench seed ${seed}: training ended ${JSON.stringify(outcome)}`);
  }
  const { test } = dataset;
  const model = loadModel(config, { height: test.height, width: test.width }, weights);
  const indices = Uint32Array.from({ length: options.nllExamples }, (_, i) => i);
  const x = tf.tensor2d(gatherExamples(test, indices, testPixelMode('dynamic', seed)), [
    options.nllExamples,
    test.height * test.width,
  ]);
  try {
    const nll = await estimateNll(model, x, options.k, { seed });
    return { testElbo, nll: nll.reduce((a, b) => a + b, 0) / nll.length, seconds: (performance.now() - start) / 1000 };
  } finally {
    x.dispose();
    disposeModel(model);
  }
}

function meanAndSpread(values: number[]): string {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { script, version } = requireTorch();
  const backend = await selectBackend('wasm');
  const dataset = await loadDatasetSource(builtinDatasetSource('mnist'));
  const dir = mnistDataDir();
  const torch = new TorchReference(script, [join(dir, 'train-images-idx3-ubyte'), join(dir, 't10k-images-idx3-ubyte')]);
  await torch.next();
  const full = options.epochs === 5 && options.seeds === 3 && options.trainSubset === null;
  console.log(
    `parity: MLP 784-512-20, dynamically binarized MNIST, batch 128, Adam 1e-3, PyTorch-default init; ` +
      `${options.epochs} epochs on ${options.trainSubset ?? 60000} training images, seeds 0–${options.seeds - 1}; ` +
      `test ELBO on 10000 test images, NLL with k = ${options.k} on the first ${options.nllExamples}` +
      `${full && options.k === 1000 && options.nllExamples === 1000 ? '' : ' (a reduced run)'}.\n` +
      `workbench on ${backend.backend}, PyTorch ${version} (${options.threads} threads); load average ${loadAverage()}`,
  );
  const ours: SideResult[] = [];
  const theirs: SideResult[] = [];
  try {
    for (let seed = 0; seed < options.seeds; seed++) {
      const w = await workbenchSide(dataset, options, seed);
      const answer = await torch.request({
        mode: 'parity',
        seed,
        epochs: options.epochs,
        trainSubset: options.trainSubset,
        nllExamples: options.nllExamples,
        k: options.k,
        threads: options.threads,
      });
      const p: SideResult = {
        testElbo: answer.testElbo as number,
        nll: answer.nll as number,
        seconds: answer.seconds as number,
      };
      ours.push(w);
      theirs.push(p);
      console.log(
        `seed ${seed}: test ELBO workbench ${w.testElbo.toFixed(2)}, PyTorch ${p.testElbo.toFixed(2)}; ` +
          `NLL workbench ${w.nll.toFixed(2)}, PyTorch ${p.nll.toFixed(2)} nats ` +
          `[${w.seconds.toFixed(0)} s / ${p.seconds.toFixed(0)} s, load ${loadAverage()}]`,
      );
    }
  } finally {
    torch.close();
  }
  const rows = [
    ['test ELBO', ours.map((r) => r.testElbo), theirs.map((r) => r.testElbo)],
    [`NLL (k = ${options.k}, ${options.nllExamples} images)`, ours.map((r) => r.nll), theirs.map((r) => r.nll)],
  ] as const;
  console.log('\n| nats per example | workbench | PyTorch | gap | target |');
  console.log('|---|---|---|---|---|');
  let met = true;
  for (const [label, a, b] of rows) {
    const gap = Math.abs(mean(a) - mean(b));
    met &&= gap <= TARGET;
    console.log(
      `| ${label} | ${meanAndSpread([...a])} | ${meanAndSpread([...b])} | ${gap.toFixed(2)} | ≤ ${TARGET} ${gap <= TARGET ? 'met' : 'NOT met'} |`,
    );
  }
  console.log(met ? 'parity met' : 'parity NOT met');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
