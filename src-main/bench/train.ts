// First: stops an old Node with a message before better-sqlite3 can crash it.
import '../require-node';
import { defaultConfig, parseConfig } from '../../src-shared/config';
import { builtinDatasetSource } from '../data/builtin';
import { loadDatasetSource } from '../data/load';
import { selectBackend } from '../training/backend';
import { trainRun } from '../training/trainer';
import { quietTfjs } from '../tfjs-quiet';

quietTfjs();

/**
 * Seconds per epoch of the reference MLP VAE (784-512-20, batch 128, Adam 1e-3, Bernoulli decoder, full MNIST 60k)
 * on the backend in use. Usage: bench-train [--epochs N] [--backend wasm|cpu|tensorflow] [--batch-size N]
 */

interface Options {
  epochs: number;
  backend: string | null;
  batchSize: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { epochs: 2, backend: null, batchSize: 128 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const positiveInt = (): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`${flag} ${value ?? '(missing)'}: expected a positive integer`);
      return n;
    };
    if (flag === '--epochs') options.epochs = positiveInt();
    else if (flag === '--batch-size') options.batchSize = positiveInt();
    else if (flag === '--backend') {
      if (value === undefined) throw new Error('--backend needs a value: tensorflow, wasm or cpu');
      options.backend = value;
    } else throw new Error(`unknown argument ${flag}; use --epochs N, --batch-size N, --backend NAME`);
    i++;
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const backend = await selectBackend(options.backend);
  console.log(`backend: ${backend.backend}`);
  for (const s of backend.skipped) console.log(`  skipped ${s.backend}: ${s.reason}`);
  const dataset = await loadDatasetSource(builtinDatasetSource('mnist'));
  const config = parseConfig({
    ...defaultConfig,
    epochs: options.epochs,
    batchSize: options.batchSize,
    checkpointEvery: 10000,
  });
  console.log(
    `model: mlp ${dataset.train.height * dataset.train.width}-${config.hiddenSizes.join('-')}-${config.latentDim}, batch ${config.batchSize}, ` +
      `${dataset.train.count} training examples, ${dataset.test.count} test examples, ${config.likelihood} decoder`,
  );
  const trainSeconds: number[] = [];
  // CPU seconds as well as wall seconds: on a shared machine the wall time includes other processes' load.
  let cpuMark = process.cpuUsage();
  const outcome = await trainRun({
    config,
    dataset,
    resumeFrom: null,
    onEpoch: (r) => {
      const train = dataset.train.count / r.examplesPerSec;
      trainSeconds.push(train);
      const cpu = process.cpuUsage(cpuMark);
      cpuMark = process.cpuUsage();
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      console.log(
        `epoch ${r.epoch}: ${r.wallTimeSec.toFixed(1)} s (training ${train.toFixed(1)} s, ${r.examplesPerSec.toFixed(0)} examples/s; ` +
          `test pass and images ${(r.wallTimeSec - train).toFixed(1)} s; CPU ${cpuSeconds.toFixed(1)} s)  test ELBO ${r.test.elbo.toFixed(2)} nats, tensors ${r.numTensors}`,
      );
    },
  });
  if (outcome.status !== 'finished')
    throw new Error(`benchmark run ended ${outcome.status}: ${JSON.stringify(outcome)}`);
  const mean = trainSeconds.reduce((a, b) => a + b, 0) / trainSeconds.length;
  console.log(
    `mean training time: ${mean.toFixed(1)} s/epoch on ${backend.backend} (${(dataset.train.count / mean).toFixed(0)} examples/s)`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
