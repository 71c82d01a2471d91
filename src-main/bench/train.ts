// First: stops an old Node with a message before better-sqlite3 can crash it.
import '../require-node';
import { defaultConfig, parseConfig, type ExperimentConfig } from '../../src-shared/config';
import { describeAdapter } from '../../src-shared/runs';
import { builtinDatasetSource } from '../data/builtin';
import { loadDatasetSource } from '../data/load';
import type { ImageDataset } from '../records';
import { selectBackend } from '../training/backend';
import { trainRun } from '../training/trainer';
import { quietTfjs } from '../tfjs-quiet';

quietTfjs();

/**
 * Training speed on a backend, and optionally against a second backend in the same process with the loss agreement.
 * Default: seconds per epoch of the reference MLP VAE (784-512-20, batch 128, Adam 1e-3, Bernoulli decoder, full
 * MNIST 60k). `--arch conv` trains the conv VAE; `--train-subset N` trains on the first N examples.
 *
 * Usage: bench-train [--epochs N] [--backend auto|tensorflow|webgpu|blas|wasm|cpu] [--compare BACKEND] [--arch mlp|conv]
 *                    [--batch-size N] [--train-subset N] [--test-subset N] [--allow-software-gpu]
 */

interface Options {
  epochs: number;
  backend: string | null;
  compare: string | null;
  arch: 'mlp' | 'conv';
  batchSize: number;
  trainSubset: number | null;
  testSubset: number | null;
  allowSoftwareGpu: boolean;
}

const usage =
  'use --epochs N, --backend NAME, --compare NAME, --arch mlp|conv, --batch-size N, --train-subset N, --test-subset N, --allow-software-gpu';

function parseArgs(argv: string[]): Options {
  const options: Options = {
    epochs: 2,
    backend: null,
    compare: null,
    arch: 'mlp',
    batchSize: 128,
    trainSubset: null,
    testSubset: null,
    allowSoftwareGpu: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const positiveInt = (): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`${flag} ${value ?? '(missing)'}: expected a positive integer`);
      return n;
    };
    const name = (): string => {
      if (value === undefined || value.startsWith('--'))
        throw new Error(`${flag} needs a value: auto, webgpu, tensorflow, wasm or cpu`);
      return value;
    };
    if (flag === '--allow-software-gpu') {
      options.allowSoftwareGpu = true;
      continue;
    }
    if (flag === '--epochs') options.epochs = positiveInt();
    else if (flag === '--batch-size' || flag === '--batch') options.batchSize = positiveInt();
    else if (flag === '--train-subset') options.trainSubset = positiveInt();
    else if (flag === '--test-subset') options.testSubset = positiveInt();
    else if (flag === '--backend') options.backend = name();
    else if (flag === '--compare') options.compare = name();
    else if (flag === '--arch') {
      if (value !== 'mlp' && value !== 'conv') throw new Error(`--arch ${value ?? '(missing)'}: expected mlp or conv`);
      options.arch = value;
    } else throw new Error(`unknown argument ${flag}; ${usage}`);
    i++;
  }
  return options;
}

interface Measured {
  backend: string;
  /** Training seconds per epoch (the test pass and images excluded), mean over epochs. */
  secondsPerEpoch: number;
  /** Examples per second after the first batch of each epoch (which carries shader compiles on webgpu). */
  steadyExamplesPerSec: number;
  trainLoss: number[];
  testElbo: number[];
}

async function measure(
  backendName: string | null,
  options: Options,
  config: ExperimentConfig,
  dataset: ImageDataset,
): Promise<Measured> {
  const backend = await selectBackend(backendName, { allowSoftwareGpu: options.allowSoftwareGpu });
  const label = backend.adapter ? `${backend.backend} on ${describeAdapter(backend.adapter)}` : backend.backend;
  console.log(`backend: ${label}`);
  for (const s of backend.skipped) console.log(`  skipped ${s.backend}: ${s.reason}`);
  const trainSeconds: number[] = [];
  const trainLoss: number[] = [];
  const testElbo: number[] = [];
  let steadyExamples = 0;
  let steadySeconds = 0;
  let firstBatchEnd = 0;
  let lastBatchEnd = 0;
  let examplesAfterFirst = 0;
  const trainCount = Math.min(dataset.train.count, config.trainSubset ?? Infinity);
  // CPU seconds as well as wall seconds: on a shared machine the wall time includes other processes' load.
  let cpuMark = process.cpuUsage();
  const outcome = await trainRun({
    config,
    dataset,
    resumeFrom: null,
    batchIntervalMs: 0,
    onBatch: (b) => {
      const now = performance.now();
      if (b.batch === 1) {
        firstBatchEnd = now;
        examplesAfterFirst = 0;
      } else {
        examplesAfterFirst += Math.min(config.batchSize, trainCount - (b.batch - 1) * config.batchSize);
        lastBatchEnd = now;
      }
    },
    onEpoch: (r) => {
      const train = trainCount / r.examplesPerSec;
      trainSeconds.push(train);
      trainLoss.push(r.train.loss);
      testElbo.push(r.test.elbo);
      if (lastBatchEnd > firstBatchEnd) {
        steadyExamples += examplesAfterFirst;
        steadySeconds += (lastBatchEnd - firstBatchEnd) / 1000;
      }
      const cpu = process.cpuUsage(cpuMark);
      cpuMark = process.cpuUsage();
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      console.log(
        `epoch ${r.epoch}: ${r.wallTimeSec.toFixed(1)} s (training ${train.toFixed(1)} s, ${r.examplesPerSec.toFixed(0)} examples/s; ` +
          `test pass and images ${(r.wallTimeSec - train).toFixed(1)} s; CPU ${cpuSeconds.toFixed(1)} s)  train loss ${r.train.loss.toFixed(4)}, test ELBO ${r.test.elbo.toFixed(2)} nats, tensors ${r.numTensors}`,
      );
    },
  });
  if (outcome.status !== 'finished')
    throw new Error(`benchmark run ended ${outcome.status}: ${JSON.stringify(outcome)}`);
  const mean = trainSeconds.reduce((a, b) => a + b, 0) / trainSeconds.length;
  const steady = steadySeconds > 0 ? steadyExamples / steadySeconds : trainCount / mean;
  console.log(
    `mean training time: ${mean.toFixed(2)} s/epoch on ${backend.backend} (${(trainCount / mean).toFixed(0)} examples/s; ` +
      `${steady.toFixed(0)} examples/s after the first batch, ${((1000 * config.batchSize) / steady).toFixed(1)} ms/step)`,
  );
  return { backend: backend.backend, secondsPerEpoch: mean, steadyExamplesPerSec: steady, trainLoss, testElbo };
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dataset = await loadDatasetSource(builtinDatasetSource('mnist'));
  const config = parseConfig({
    ...defaultConfig,
    architecture: options.arch,
    epochs: options.epochs,
    batchSize: options.batchSize,
    trainSubset: options.trainSubset,
    testSubset: options.testSubset,
    checkpointEvery: 10000,
  });
  const layers =
    options.arch === 'mlp'
      ? `mlp ${dataset.train.height * dataset.train.width}-${config.hiddenSizes.join('-')}-${config.latentDim}`
      : `conv ${config.convChannels.join('-')} channels, z = ${config.latentDim}`;
  console.log(
    `model: ${layers}, batch ${config.batchSize}, ${Math.min(dataset.train.count, config.trainSubset ?? Infinity)} training examples, ` +
      `${Math.min(dataset.test.count, config.testSubset ?? Infinity)} test examples, ${config.likelihood} decoder`,
  );
  const first = await measure(options.backend, options, config, dataset);
  if (options.compare === null) return;
  const second = await measure(options.compare, options, config, dataset);
  const lossGap = Math.max(...first.trainLoss.map((l, i) => relative(l, second.trainLoss[i])));
  const elboGap = Math.max(...first.testElbo.map((l, i) => relative(l, second.testElbo[i])));
  console.log(
    `${first.backend} vs ${second.backend}: ${(second.secondsPerEpoch / first.secondsPerEpoch).toFixed(2)}× per epoch, ` +
      `${(first.steadyExamplesPerSec / second.steadyExamplesPerSec).toFixed(2)}× examples/s after the first batch; ` +
      `train loss agrees to ${lossGap.toExponential(1)} relative, test ELBO to ${elboGap.toExponential(1)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
