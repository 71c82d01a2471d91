import { builtinDatasetSource } from '../data/builtin';
import { loadDatasetSource } from '../data/load';
import { selectBackend } from '../training/backend';
import { loadAverage, measureWorkbench, type Workload } from './measure';

/**
 * Seconds per epoch and examples/s of the workbench's VAEs on the backend in use: the reference MLP (784-512-20) or
 * the conv VAE, Adam 1e-3, Bernoulli decoder, MNIST. With --train-subset, the per-epoch time for all 60,000 training
 * examples is extrapolated from the subset's rate (and says so).
 * Usage: bench-train [--arch mlp|conv] [--epochs N] [--batch-size N] [--train-subset N] [--backend NAME]
 */

interface Options extends Workload {
  backend: string | null;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { arch: 'mlp', epochs: 2, backend: null, batchSize: 128, trainSubset: null };
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
    else if (flag === '--train-subset') options.trainSubset = positiveInt();
    else if (flag === '--arch') {
      if (value !== 'mlp' && value !== 'conv') throw new Error(`--arch ${value ?? '(missing)'}: expected mlp or conv`);
      options.arch = value;
    } else if (flag === '--backend') {
      if (value === undefined) throw new Error('--backend needs a value: tensorflow, webgpu, wasm or cpu');
      options.backend = value;
    } else
      throw new Error(
        `unknown argument ${flag}; use --arch mlp|conv, --epochs N, --batch-size N, --train-subset N, --backend NAME`,
      );
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
  const examples = options.trainSubset ?? dataset.train.count;
  const model = options.arch === 'mlp' ? 'mlp 784-512-20' : 'conv 1-32-64 / 64-32-1, z = 20';
  console.log(
    `model: ${model}, batch ${options.batchSize}, ${examples} of ${dataset.train.count} training examples per epoch, ` +
      `bernoulli decoder; load average ${loadAverage()}`,
  );
  const timings = await measureWorkbench(dataset, options, (t) => {
    console.log(
      `epoch ${t.epoch}: ${(examples / t.examplesPerSec).toFixed(1)} s training, ${t.examplesPerSec.toFixed(0)} examples/s ` +
        `(epoch with test pass ${t.wallSeconds.toFixed(1)} s wall, ${t.cpuSeconds.toFixed(1)} s CPU)  test ELBO ${t.testElbo.toFixed(2)} nats; load ${loadAverage()}`,
    );
  });
  // The first epoch carries one-off costs (kernel set-up, weight packing); report the rest when there is a rest.
  const measured = timings.length > 1 ? timings.slice(1) : timings;
  const rate = measured.reduce((a, t) => a + t.examplesPerSec, 0) / measured.length;
  const full = dataset.train.count / rate;
  console.log(
    `mean over epoch${measured.length > 1 ? 's' : ''} ${measured.map((t) => t.epoch).join(', ')}: ${rate.toFixed(0)} examples/s, ` +
      `${full.toFixed(1)} s per epoch of ${dataset.train.count}${options.trainSubset === null ? '' : ' (extrapolated from the subset)'} on ${backend.backend}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
