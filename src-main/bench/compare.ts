import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtinDatasetSource, mnistDataDir } from '../data/builtin';
import { loadDatasetSource } from '../data/load';
import { selectBackend } from '../training/backend';
import { describeBlas } from '../training/blas';
import { blasInUse } from '../training/blas-backend';
import { loadAverage, measureWorkbench, type Workload } from './measure';
import { INSTALL, positiveIntegerFlags, requireTorch, TorchReference } from './torch';

/**
 * The workbench against PyTorch on the same CPU, the same models and the same MNIST files, measured interleaved in
 * one run (each side waits while the other trains), so a shared machine's load falls on both alike.
 * PyTorch: Debian's python3-torch with libopenblas0-openmp, 2 threads (src-main/bench/torch_reference.py).
 * The workbench: the blas backend (OpenBLAS products on the same cores), or the backend named by --backend.
 * Usage: bench-compare [--backend blas|wasm|…] [--rounds N] [--train-subset N] [--threads N]
 */

interface Case extends Workload {
  label: string;
  /** The ratio workbench time / PyTorch time this case must stay under. */
  target: number;
}

interface Options {
  rounds: number;
  trainSubset: number | null;
  threads: number;
}

function parseArgs(argv: string[]): Options & { backend: string } {
  const at = argv.indexOf('--backend');
  if (at === -1) return { backend: 'blas', ...positiveIntegerFlags<Options>(argv, defaults) };
  const backend = argv[at + 1];
  if (backend === undefined || backend.startsWith('--')) throw new Error('--backend needs a name: blas, wasm, …');
  const rest = [...argv.slice(0, at), ...argv.slice(at + 2)];
  return { backend, ...positiveIntegerFlags<Options>(rest, defaults) };
}

const defaults: Options = { rounds: 2, trainSubset: null, threads: 2 };

/** The backend as the headline names it: for blas, which OpenBLAS kernel on how many threads. */
function describe(backend: string): string {
  const blas = blasInUse();
  if (backend !== 'blas' || blas === null) return backend === 'wasm' ? 'wasm (one thread)' : backend;
  return `blas (${describeBlas({ ...blas, threads: blas.threads() })})`;
}

function cases(subset: number | null): Case[] {
  return [
    {
      label: 'MLP 784-512-20, batch 128',
      arch: 'mlp',
      batchSize: 128,
      trainSubset: subset ?? 12800,
      epochs: 2,
      target: 3,
    },
    { label: 'conv VAE, batch 128', arch: 'conv', batchSize: 128, trainSubset: subset ?? 3840, epochs: 2, target: 5 },
    {
      label: 'MLP 784-512-20, batch 512',
      arch: 'mlp',
      batchSize: 512,
      trainSubset: subset ?? 15360,
      epochs: 2,
      target: 2,
    },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function openblasNote(): string | null {
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'].filter(existsSync);
  const found = dirs.some((d) => readdirSync(d).includes('openblas-openmp'));
  return found ? null : `libopenblas0-openmp not found: PyTorch may be on reference BLAS (~18× slower); ${INSTALL}`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { script, version } = requireTorch();
  const blas = openblasNote();
  if (blas !== null) console.log(`warning: ${blas}`);
  const backend = await selectBackend(options.backend);
  const dataset = await loadDatasetSource(builtinDatasetSource('mnist'));
  const torch = new TorchReference(script, [join(mnistDataDir(), 'train-images-idx3-ubyte')]);
  await torch.next();
  console.log(
    `workbench on ${describe(backend.backend)} against PyTorch ${version} (${options.threads} threads, OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'}), ` +
      `${options.rounds} interleaved rounds, each side's last epoch of 2 measured; load average at start ${loadAverage()}`,
  );
  // Wall-time rates, and CPU milliseconds per training example (all threads): on a machine shared with other work the
  // CPU time says what each side costs, the wall time what each side got.
  const results = new Map<
    string,
    { workbench: number[]; torch: number[]; workbenchCpu: number[]; torchCpu: number[] }
  >();
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const c of cases(options.trainSubset)) {
        const last = (await measureWorkbench(dataset, c)).at(-1)!;
        const workbench = last.examplesPerSec;
        const loadWorkbench = loadAverage();
        const answer = (await torch.request({ ...c, threads: options.threads })) as {
          examplesPerSec: number[];
          cpuSeconds: number[];
        };
        const reference = answer.examplesPerSec.at(-1)!;
        const entry = results.get(c.label) ?? { workbench: [], torch: [], workbenchCpu: [], torchCpu: [] };
        entry.workbench.push(workbench);
        entry.torch.push(reference);
        entry.workbenchCpu.push((1000 * last.cpuSeconds) / c.trainSubset!);
        entry.torchCpu.push((1000 * answer.cpuSeconds.at(-1)!) / c.trainSubset!);
        results.set(c.label, entry);
        console.log(
          `round ${round} ${c.label} (${c.trainSubset} examples/epoch): workbench ${workbench.toFixed(0)} examples/s ` +
            `[load ${loadWorkbench}], PyTorch ${reference.toFixed(0)} examples/s [load ${loadAverage()}], ratio ${(reference / workbench).toFixed(2)}×`,
        );
      }
    }
  } finally {
    torch.close();
  }
  const full = dataset.train.count;
  console.log(
    `\nmedians (s/epoch extrapolated to all ${full} training examples); load average at end ${loadAverage()}`,
  );
  console.log(
    '| model | workbench | PyTorch | workbench time / PyTorch time | target | CPU ms per example, workbench / PyTorch |',
  );
  console.log('|---|---|---|---|---|---|');
  let allMet = true;
  for (const c of cases(options.trainSubset)) {
    const r = results.get(c.label)!;
    const wb = median(r.workbench);
    const pt = median(r.torch);
    const ratio = pt / wb;
    allMet &&= ratio <= c.target;
    console.log(
      `| ${c.label} | ${wb.toFixed(0)} ex/s, ${(full / wb).toFixed(1)} s/epoch | ${pt.toFixed(0)} ex/s, ${(full / pt).toFixed(1)} s/epoch | ` +
        `${ratio.toFixed(2)}× | ≤ ${c.target}× ${ratio <= c.target ? 'met' : 'NOT met'} | ` +
        `${median(r.workbenchCpu).toFixed(2)} / ${median(r.torchCpu).toFixed(2)} |`,
    );
  }
  console.log(allMet ? 'all targets met' : 'some targets not met');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
