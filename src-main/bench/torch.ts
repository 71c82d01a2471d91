import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The PyTorch reference runs under Debian's Python with python3-torch: a benchmark's dependency, never npm test's. */
export const PYTHON = '/usr/bin/python3';
export const INSTALL = 'apt-get install -y python3-torch libopenblas0-openmp';

/** Exits with a one-line message naming what to install when PyTorch cannot be imported. */
export function requireTorch(): { script: string; version: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error(
      `PyTorch is not importable by ${PYTHON}: ${INSTALL} (a benchmark dependency only; npm test does not need it)`,
    );
    process.exit(2);
  }
  const script = resolve('src-main/bench/torch_reference.py');
  if (!existsSync(script)) throw new Error(`${script} not found: run the benchmark from the repository root`);
  return { script, version: probe.stdout.trim() };
}

/**
 * PyTorch on OpenBLAS's OpenMP build, the reference the issue measured, even where the pthreads build (which the
 * workbench's blas backend needs) is the system's default libblas: its folder goes first on the library path.
 */
function openmpBlasPath(): { LD_LIBRARY_PATH?: string } {
  const dir = ['/usr/lib/x86_64-linux-gnu/openblas-openmp', '/usr/lib/aarch64-linux-gnu/openblas-openmp'].find((d) =>
    existsSync(d),
  );
  if (dir === undefined) return {};
  const rest = process.env.LD_LIBRARY_PATH;
  return { LD_LIBRARY_PATH: rest === undefined || rest === '' ? dir : `${dir}:${rest}` };
}

/** src-main/bench/torch_reference.py as a child answering one JSON line per JSON request line. */
export class TorchReference {
  private readonly child;
  private readonly lines: AsyncIterableIterator<string>;

  constructor(script: string, args: readonly string[]) {
    // Passive waiting: OpenMP threads that spin at barriers slow PyTorch 20–40× when the cores are shared with other
    // processes (measured here at load average 5–8); on an idle machine it costs little.
    this.child = spawn(PYTHON, [script, ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE', ...openmpBlasPath() },
    });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** The next line the child writes (the first says it is ready). */
  async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next();
    if (done === true) throw new Error(`${PYTHON} torch_reference.py ended without answering`);
    return JSON.parse(value as string) as Record<string, unknown>;
  }

  request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin.write(JSON.stringify(message) + '\n');
    return this.next();
  }

  close(): void {
    this.child.stdin.end();
  }
}

/**
 * `--flag N` pairs of positive integers over the defaults, flags named in kebab case after the option
 * (`trainSubset` ↔ `--train-subset`); anything else is refused, listing the flags there are.
 */
export function positiveIntegerFlags<T extends { [K in keyof T]: number | null }>(
  argv: readonly string[],
  defaults: T,
): T {
  const options: Record<string, number | null> = { ...defaults };
  const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const keyOf = new Map(Object.keys(defaults).map((key) => [flagOf(key), key]));
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const key = keyOf.get(flag);
    if (key === undefined)
      throw new Error(`unknown argument ${flag}; use ${[...keyOf.keys()].map((f) => `${f} N`).join(', ')}`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} ${value ?? '(missing)'}: expected a positive integer`);
    options[key] = n;
  }
  return options as T;
}
