import * as tf from '@tensorflow/tfjs';
import { defaultConfig, parseConfig, type ExperimentConfig } from '../../src-shared/config';
import { selectBackend } from '../training/backend';
import { klPerDimension, reconstructionNll } from '../training/losses';
import { buildModel, decode, encode, reparameterize, type VaeModel } from '../training/model';
import { Adam } from '../training/optimizer';
import { loadAverage } from './measure';

/**
 * Where one training step's time goes: per-kernel times and counts (tf.profile), and the time outside kernels.
 * Usage: bench-profile [--backend blas|wasm|…] [--arch mlp|conv] [--batch-size N] [--steps N]
 */

interface Options {
  backend: string;
  arch: 'mlp' | 'conv';
  batchSize: number;
  steps: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { backend: 'blas', arch: 'mlp', batchSize: 128, steps: 5 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--backend') {
      if (value === undefined) throw new Error('--backend needs a name: blas, wasm, webgpu, …');
      options.backend = value;
    } else if (flag === '--arch') {
      if (value !== 'mlp' && value !== 'conv') throw new Error(`--arch ${value ?? '(missing)'}: expected mlp or conv`);
      options.arch = value;
    } else if (flag === '--batch-size' || flag === '--steps') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`${flag} ${value ?? '(missing)'}: expected a positive integer`);
      if (flag === '--batch-size') options.batchSize = n;
      else options.steps = n;
    } else throw new Error(`unknown argument ${flag}; use --backend NAME, --arch mlp|conv, --batch-size N, --steps N`);
  }
  return options;
}

async function step(
  model: VaeModel,
  config: ExperimentConfig,
  adam: Adam,
  x: tf.Tensor2D,
  eps: tf.Tensor2D,
): Promise<void> {
  const variables = model.params.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(
    () =>
      tf.tidy(() => {
        const posterior = encode(model, x);
        const z = reparameterize(posterior, eps);
        const recon = tf.mean(reconstructionNll(config, decode(model, z), x));
        const kl = tf.div(tf.sum(klPerDimension(posterior.mu, posterior.logVar!)), x.shape[0]);
        return tf.add(recon, kl) as tf.Scalar;
      }),
    variables,
  );
  const start = performance.now();
  // The optimizer reads the gradients back asynchronously, as training does on every backend.
  await adam.apply(grads);
  adamMs += performance.now() - start;
  value.dispose();
  tf.dispose(grads);
}

let adamMs = 0;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const backend = await selectBackend(options.backend);
  const config = parseConfig({ ...defaultConfig, architecture: options.arch, batchSize: options.batchSize });
  const model = buildModel({ config, shape: { height: 28, width: 28 }, seed: 1 });
  const adam = await Adam.create(model.params, { learningRate: config.learningRate });
  const n = options.batchSize;
  const x = tf.tensor2d(
    Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 256) / 255),
    [n, 784],
  );
  const eps = tf.randomNormal([n, config.latentDim], 0, 1, 'float32', 3) as tf.Tensor2D;
  for (let i = 0; i < 3; i++) await step(model, config, adam, x, eps);
  adamMs = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < options.steps; i++) await step(model, config, adam, x, eps);
  const wall = (performance.now() - t0) / options.steps;
  const cpuUsed = process.cpuUsage(cpu0);
  // CPU time as well as wall time: on a shared machine the wall time includes waiting for a core.
  const cpuPerStep = (cpuUsed.user + cpuUsed.system) / 1000 / options.steps;
  const adamPerStep = adamMs / options.steps;
  const info = await tf.profile(() => step(model, config, adam, x, eps));
  const byKernel = new Map<string, { count: number; ms: number }>();
  let kernelMs = 0;
  // Leaf kernels only: customGrad and op wrappers are profiled too and contain the kernels they call.
  const leaves = info.kernels.filter((k) => tf.getKernel(k.name, backend.backend) !== undefined);
  for (const k of leaves) {
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s?.join(',')}]`).join('')}`;
    const e = byKernel.get(key) ?? { count: 0, ms: 0 };
    e.count += 1;
    e.ms += k.kernelTimeMs as number;
    kernelMs += k.kernelTimeMs as number;
    byKernel.set(key, e);
  }
  const byName = new Map<string, { count: number; ms: number }>();
  for (const k of leaves) {
    const e = byName.get(k.name) ?? { count: 0, ms: 0 };
    e.count += 1;
    e.ms += k.kernelTimeMs as number;
    byName.set(k.name, e);
  }
  console.log(
    `backend ${backend.backend}, ${options.arch}, batch ${n}: ${wall.toFixed(1)} ms/step wall, ${cpuPerStep.toFixed(1)} ms/step CPU (mean of ${options.steps}), ${((n / wall) * 1000).toFixed(0)} examples/s; load ${loadAverage()}`,
  );
  console.log(
    `profiled step: ${leaves.length} kernel calls, ${kernelMs.toFixed(1)} ms in kernels, ~${(wall - kernelMs).toFixed(1)} ms outside; Adam ${adamPerStep.toFixed(1)} ms/step (kernels included)`,
  );
  console.log('\nby kernel:');
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms))
    console.log(`  ${e.ms.toFixed(2).padStart(8)} ms ${String(e.count).padStart(4)}×  ${name}`);
  console.log('\ntop kernel calls by shape:');
  for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
    console.log(`  ${e.ms.toFixed(2).padStart(8)} ms ${String(e.count).padStart(4)}×  ${name}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
