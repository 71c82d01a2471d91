import { renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { ApiError } from '../../src-shared/api';
import { formatParameter, notApplying, parameters } from '../../src-shared/parameters';
import { epochLine, hasElbo, NOT_APPLICABLE } from '../../src-shared/baselines';
import { describeAdapter, describeRunBackend } from '../../src-shared/runs';
import { ConfigError } from '../../src-shared/config';
import { isRandomSearch, sweepSize } from '../../src-shared/sweep';
import { DatasetError, DatasetIdError } from '../data/dataset';
import { spawnInProcess } from '../latent/in-process';
import { resolveDbPath } from '../paths';
import { forkTraining } from '../queue/fork';
import type { QueueRunner } from '../queue/runner';
import { ReportError, type ReportSelection } from '../reports/report';
import { APP_VERSION } from '../version';
import { importFolderDataset, importIdxDataset } from '../workbench/import-dataset';
import { exportMetricsCsv } from '../workbench/export';
import { estimateTestNll } from '../workbench/nll';
import { writeReport } from '../workbench/report';
import { openWorkbench, type Workbench } from '../workbench/workbench';
import {
  checkFlags,
  experimentIdFlag,
  idListFlag,
  parseArgs,
  runIdArg,
  statusListFlag,
  UsageError,
  workersFlag,
} from './args';
import {
  configFlagNames,
  FlagError,
  givenParameters,
  queueHelp,
  readConfigFile,
  searchFlagNames,
  sweepFromFlags,
} from './config-flags';
import { formatDuration, formatRunLine, progressLine, runTable } from './format';
import { formatMetric } from '../reports/format';
import { BackendError, listBackends, selectBackend } from '../training/backend';
import { allowSoftwareGpuEnvVar, backendEnvVar } from '../training/backend-order';
import { describeBlas } from '../training/blas';
import { entriesFromRunList } from '../../src-shared/run-list';
import { backendChoices, parseBackendChoice } from '../../src-shared/backends';
import {
  DEFAULT_IDLE_SECONDS,
  positiveInteger,
  redisTarget,
  runWorker,
  startCoordinator,
  WORKER_HELP,
} from '../remote/cli';
import type { RedisCoordinator } from '../remote/coordinator';

const HELP = `vae-workbench — train and compare variational autoencoders

Usage: vae-workbench <command> [options]      (every command takes --db PATH; default $VAE_WORKBENCH_DB or ./experiments.db)

  queue      queue one run or a sweep: comma lists make a grid, e.g. --beta 0,1,4 --latent 2,10 --seeds 3;
             ranges a random search, e.g. --beta 0.5..8 --log --samples 20   [--early-stop median]
  run        work the queue until it is empty: interrupted runs continue by themselves
             [--workers N] [--backend auto|webgpu|…] [--allow-software-gpu]
  list       the runs, a line each                     [--status S,S] [--experiment ID] [--json]
  show RUN   one run: parameters, per-epoch metrics, checkpoints   [--json]
  resume RUN put a stopped run first in the queue and continue it from its last checkpoint   [--queue-only]
  cancel RUN cancel a run: queued, stopped, or training (in this or another process; it stops after its batch)
  export     --csv FILE: one row per run, epoch and split   [--runs ID,ID] [--experiment ID]
  datasets   the datasets available to train on
  import     --id NAME --train-images F --train-labels F --test-images F --test-labels F [--title T]
  import     --id NAME --folder DIR [--size 28] [--title T]   PNG/JPEG images, one subfolder per label
  nll RUN    importance-sampled test NLL from a checkpoint, on the run's test examples   [--k 5000] [--examples N|all] [--epoch E]
  report     --out DIR [--runs ID,ID | --experiment ID]: report.html, report.pdf and metrics.csv
  serve      the workbench in a browser: [--port N] [--host 127.0.0.1] [--workers N] [--backend B] [--allow-software-gpu]
             run and serve take --redis URL: train on workers over Redis instead of here
  worker     --redis URL [--concurrency N] [--backend B] [--exit-when-idle]: train runs for a workbench on another machine
  backends   every TF.js backend, best first: available or why not, and the WebGPU adapters found   [--json]

Run \`vae-workbench queue --help\` for every training parameter.`;

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  isTty: boolean;
}

const common = ['db', 'help'];

/**
 * The workbench over the database of --db, in this process: the commands call the same use cases as the app's
 * window, through the same dispatcher. The queue is worked only by `run` and `resume`, in the foreground.
 */
async function withWorkbench<T>(
  flags: Map<string, string>,
  fn: (wb: Workbench) => Promise<T> | T,
  backend: string | null = null,
  workers: number | null = null,
  remote: RedisCoordinator | null = null,
): Promise<T> {
  const wb = openWorkbench({
    dbPath: resolveDbPath(flags.get('db')),
    spawn: remote?.spawn ?? (() => forkTraining()),
    ...(remote ? { remoteSlots: workers ?? remote.workerSlots } : {}),
    // A headless command may run TF.js in its own process: manifolds decode in-process, on a backend picked only
    // when a report has a manifold to draw.
    spawnLatent: spawnInProcess(),
    transport: 'ipc',
    version: APP_VERSION,
    backend,
    workers,
    workQueue: false,
  });
  remote?.onWorkerSlotsChanged(() => wb.runner.wake());
  try {
    return await fn(wb);
  } finally {
    await wb.close();
    await remote?.close();
  }
}

async function cmdQueue(flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags(
    'queue',
    flags,
    new Set([...common, ...configFlagNames, ...searchFlagNames, 'seeds', 'config', 'experiment']),
  );
  if (flags.has('help')) {
    io.out(queueHelp());
    return 0;
  }
  const file = flags.has('config') ? readConfigFile(flags.get('config') ?? '') : null;
  const spec = sweepFromFlags(flags, file);
  const experimentName =
    flags.get('experiment') ??
    file?.experiment ??
    `experiment ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  if (experimentName.trim() === '') throw new UsageError('--experiment: the name is empty');
  return withWorkbench(flags, async (wb) => {
    const { runIds, searchSeed } = await wb.call('queueSweep', { experimentName, sweep: spec });
    const size = sweepSize(spec.axes);
    const what = isRandomSearch(spec)
      ? ` (random search over ${[...Object.keys(spec.ranges ?? {}), ...Object.keys(spec.axes)].join(', ')}, search seed ${searchSeed}: --search-seed ${searchSeed} draws the same runs)`
      : size > 1
        ? ` (sweep over ${Object.keys(spec.axes).join(', ')})`
        : '';
    io.out(`Queued ${runIds.length} run${runIds.length === 1 ? '' : 's'} in "${experimentName}"${what}:`);
    const notes = new Set<string>();
    for (const runId of runIds) {
      const run = await wb.call('getRun', { runId });
      io.out(`  ${formatRunLine(run)}`);
      for (const note of notApplying(run.config, givenParameters(spec))) notes.add(note.message);
    }
    for (const note of notes) io.out(`Note: ${note}`);
    io.out(`Train them with: vae-workbench run --db ${wb.dbPath}`);
    return 0;
  });
}

/** Runs left running by a process that is gone become interrupted (and so resumable); says which. */
function recoverRuns(runner: QueueRunner, io: Io): void {
  const interrupted = runner.recover();
  if (interrupted.length > 0)
    io.out(`Runs left running by a process that is gone, now interrupted: ${interrupted.join(', ')}`);
}

async function workQueue(wb: Workbench, io: Io): Promise<number> {
  const { runner } = wb;
  let lastPlain = 0;
  runner.onProgress((p) => {
    if (io.isTty) {
      process.stdout.write(`\r\x1b[2K${progressLine(p)}`);
    } else if (Date.now() - lastPlain > 10_000) {
      lastPlain = Date.now();
      io.out(progressLine(p));
    }
  });
  runner.onRunChanged((runId) => {
    void wb.call('getRun', { runId }).then(
      (run) => {
        if (run.status === 'running' && run.epochsDone > 0) {
          const t = run.last.test;
          if (io.isTty) process.stdout.write('\r\x1b[2K');
          io.out(
            `run ${run.id} epoch ${run.epochsDone}/${run.config.epochs}: ${epochLine(run.config, t, formatMetric)}`,
          );
        }
      },
      () => undefined,
    );
  });
  const interrupt = (): void => {
    io.err('\nStopping: the runs in training become interrupted and continue when the queue is next worked.');
    void runner.shutdown();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const started = Date.now();
  let outcomes;
  try {
    outcomes = await runner.runUntilEmpty();
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  if (io.isTty) process.stdout.write('\r\x1b[2K');
  for (const outcome of outcomes) {
    const run = await wb.call('getRun', { runId: outcome.runId });
    io.out(
      `run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ''} (${run.name}, ${describeRunBackend(run) ?? 'no backend'})`,
    );
  }
  io.out(
    `Queue empty: ${outcomes.length} run${outcomes.length === 1 ? '' : 's'} in ${formatDuration((Date.now() - started) / 1000)}.`,
  );
  return outcomes.some((o) => o.status !== 'finished') ? 1 : 0;
}

const backendFlags = ['backend', 'allow-software-gpu'];

/**
 * --backend and --allow-software-gpu (or VAE_WORKBENCH_BACKEND): the backend every run of this process asks for;
 * null for the best available. A named backend is started here first, so that one which cannot start is refused
 * with its reason before any run is claimed (and marked failed).
 */
async function backendOption(flags: Map<string, string>): Promise<string | null> {
  // The training and latent processes inherit the environment: the flag reaches them through it.
  if (flags.has('allow-software-gpu')) process.env[allowSoftwareGpuEnvVar] = '1';
  const raw = flags.get('backend');
  // Even `--backend auto` overrides the saved setting for this session (workbench/backend-setting.ts reads it here).
  if (raw !== undefined) process.env[backendEnvVar] = raw;
  let named: string | null;
  try {
    named =
      raw === undefined
        ? parseBackendChoice(process.env[backendEnvVar], backendEnvVar)
        : parseBackendChoice(raw, '--backend');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (named !== null) {
    try {
      await selectBackend(named);
    } catch (error) {
      if (error instanceof BackendError) throw new UsageError(error.message);
      throw error;
    }
  }
  return raw ?? null;
}

async function cmdRun(flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('run', flags, new Set([...common, ...backendFlags, 'workers', 'redis']));
  if (flags.has('help')) {
    io.out(
      `vae-workbench run [--db PATH] [--workers N] [--backend ${backendChoices.join('|')}] [--allow-software-gpu]\n` +
        'Works the queue until it is empty, N runs at once (default: the Queue view setting, else from the cores and\n' +
        'the backend). Runs whose training process died are put back first and continue from their last checkpoint.\n' +
        `auto (the default, or $${backendEnvVar}) takes the best backend that starts; see \`vae-workbench backends\`.\n` +
        '--allow-software-gpu lets webgpu run on a software adapter (lavapipe, SwiftShader): for tests, slower than wasm.\n' +
        '--redis URL: workers (`vae-workbench worker`) train the runs; N is then how many are published at once\n' +
        '(default: as many as the live workers train at once; the rest stay queued here, in the order you give).',
    );
    return 0;
  }
  const target = redisTarget(flags.get('redis'), (m) => new UsageError(m));
  const workers = target
    ? positiveInteger('workers', flags.get('workers'), (m) => new UsageError(m))
    : (workersFlag(flags.get('workers')) ?? null);
  const backend = await backendOption(flags);
  const remote = target ? startCoordinator(target, io) : null;
  return withWorkbench(
    flags,
    (wb) => {
      const requeued = wb.runner.requeueInterrupted();
      if (requeued.length > 0)
        io.out(`Interrupted runs back in the queue, continuing from their last checkpoint: ${requeued.join(', ')}`);
      if (remote && workers === null) io.out('Publishing as many runs as the live workers train at once.');
      else io.out(`Training up to ${wb.runner.workers} run${wb.runner.workers === 1 ? '' : 's'} at once.`);
      return workQueue(wb, io);
    },
    backend,
    workers,
    remote,
  );
}

async function cmdBackends(flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('backends', flags, new Set([...common, 'json', 'allow-software-gpu']));
  if (flags.has('help')) {
    io.out(
      'vae-workbench backends [--json] [--allow-software-gpu]\nStarts every TF.js backend in turn (a small computation read back) and says which work here, best first.',
    );
    return 0;
  }
  const rows = await listBackends({ allowSoftwareGpu: flags.has('allow-software-gpu') || undefined });
  if (flags.has('json')) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  io.out('Backends, best first (auto takes the first available):');
  for (const row of rows) {
    io.out(`  ${row.label.padEnd(17)} ${row.available ? 'available' : `no: ${row.reason ?? ''}`}`);
    if (row.blas !== undefined) io.out(`      ${describeBlas(row.blas)}`);
    if (row.adapters !== undefined) {
      if (row.adapters.length === 0) io.out('      no WebGPU adapter');
      for (const a of row.adapters)
        io.out(`      adapter: ${describeAdapter(a)}${a.description ? ` — ${a.description}` : ''}`);
    }
  }
  return 0;
}

async function cmdList(flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('list', flags, new Set([...common, 'status', 'experiment', 'json']));
  const status = statusListFlag(flags.get('status'));
  const experimentId = experimentIdFlag(flags.get('experiment'));
  return withWorkbench(flags, async (wb) => {
    const runs = entriesFromRunList(await wb.call('listRuns', { status, experimentId }));
    if (flags.has('json')) io.out(JSON.stringify(runs, null, 2));
    else if (runs.length === 0) io.out('No runs yet. Queue some with `vae-workbench queue`.');
    else io.out(runTable(runs));
    return 0;
  });
}

async function cmdShow(positionals: string[], flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('show', flags, new Set([...common, 'json']));
  const runId = runIdArg('show', positionals);
  return withWorkbench(flags, async (wb) => {
    const run = await wb.call('getRun', { runId });
    const metrics = await wb.call('getEpochMetrics', { runIds: [runId] });
    const checkpoints = await wb.call('listCheckpoints', { runId });
    if (flags.has('json')) {
      io.out(JSON.stringify({ run, metrics, checkpoints }, null, 2));
      return 0;
    }
    io.out(`run ${run.id} "${run.name}" — ${run.status}${run.error ? `: ${run.error}` : ''}`);
    io.out(
      `experiment ${run.experimentId} "${run.experimentName}"; backend ${describeRunBackend(run) ?? '—'}${run.backendNote ? ` (${run.backendNote})` : ''}`,
    );
    io.out(
      `epochs ${run.epochsDone}/${run.config.epochs}; duration ${formatDuration(run.durationSec)}; active units ${run.activeUnits ?? '—'}`,
    );
    // As queue flags in their syntax, so a researcher can copy a run's settings into a new `queue` command.
    io.out('parameters:');
    // Only what applies to the run: a PCA baseline has no --hidden or --lr to copy.
    for (const p of parameters.filter((q) => q.applies?.(run.config) !== false))
      io.out(`  --${p.flag.padEnd(20)} ${formatParameter(p.key, run.config[p.key])}`);
    // A baseline has no KL term: n/a, not 0; the IWAE bound is a column where the run recorded it.
    const vae = hasElbo(run.config);
    const iwae = metrics.some((m) => typeof m.iwae === 'number');
    io.out(
      `epoch  split  recon       KL          β·KL        ELBO        ${iwae ? 'IWAE L_k    ' : ''}(nats per example)`,
    );
    for (const m of metrics) {
      const f = (v: number | null | undefined): string => (v === undefined ? '—' : formatMetric(v, 3)).padStart(10);
      const e = (v: number): string => (vae ? f(v) : NOT_APPLICABLE.padStart(10));
      io.out(
        `${String(m.epoch).padStart(5)}  ${m.split.padEnd(5)} ${f(m.recon)}  ${e(m.kl)}  ${e(m.betaKl)}  ${e(m.elbo)}${iwae ? `  ${f(m.iwae)}` : ''}`,
      );
    }
    for (const e of await wb.call('listNllEstimates', { runIds: [runId] })) {
      io.out(`NLL (${e.split}, epoch ${e.epoch}, k = ${e.k}, ${e.count} examples): ${formatMetric(e.nll)} nats`);
    }
    io.out(
      `checkpoints: ${checkpoints.length === 0 ? 'none' : checkpoints.map((c) => `epoch ${c.epoch}${c.hasOptimizerState ? ' (resumable)' : ''}`).join(', ')}`,
    );
    return 0;
  });
}

async function cmdResume(positionals: string[], flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('resume', flags, new Set([...common, 'queue-only', ...backendFlags]));
  const runId = runIdArg('resume', positionals);
  const backend = await backendOption(flags);
  return withWorkbench(
    flags,
    async (wb) => {
      // A run whose process was killed still reads `running` until recovery marks it interrupted.
      recoverRuns(wb.runner, io);
      const run = await wb.call('resumeRun', { runId });
      io.out(`run ${runId} queued first; it continues after epoch ${run.epochsDone} of ${run.config.epochs}.`);
      if (flags.has('queue-only')) return 0;
      return workQueue(wb, io);
    },
    backend,
  );
}

async function cmdCancel(positionals: string[], flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('cancel', flags, new Set(common));
  const runId = runIdArg('cancel', positionals);
  return withWorkbench(flags, async (wb) => {
    // A run left `running` by a process that is gone is interrupted first; one another process trains is asked to stop.
    wb.runner.recover();
    const run = await wb.call('cancelRun', { runId });
    io.out(`run ${run.id} ${run.status}.`);
    return 0;
  });
}

async function cmdExport(flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('export', flags, new Set([...common, 'csv', 'runs', 'experiment']));
  const out = flags.get('csv');
  if (!out) throw new UsageError('export: give --csv FILE');
  const runIds = flags.has('runs') ? idListFlag('runs', flags.get('runs') ?? '') : undefined;
  const experimentId = experimentIdFlag(flags.get('experiment'));
  return withWorkbench(flags, (wb) => {
    const { csv, runCount, rowCount } = exportMetricsCsv(wb.db, { runIds, experimentId });
    writeFileAtomic(out, csv);
    io.out(`Wrote ${rowCount} rows (${runCount} runs) to ${out}`);
    return 0;
  });
}

/** Writes beside the target then renames, so a failed export never leaves a partial file. */
function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

async function cmdDatasets(flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('datasets', flags, new Set([...common, 'json']));
  return withWorkbench(flags, async (wb) => {
    const datasets = await wb.call('listDatasets', {});
    if (flags.has('json')) {
      io.out(JSON.stringify(datasets, null, 2));
      return 0;
    }
    for (const d of datasets) {
      io.out(
        `${d.id.padEnd(16)} ${d.kind.padEnd(9)} ${d.available ? `${d.trainCount} train / ${d.testCount} test, ${d.height}×${d.width}` : `not available: ${d.note}`}`,
      );
    }
    return 0;
  });
}

async function cmdImport(flags: Map<string, string>, io: Io): Promise<number> {
  const fileFlags = ['train-images', 'train-labels', 'test-images', 'test-labels'];
  checkFlags('import', flags, new Set([...common, 'id', 'title', 'folder', 'size', ...fileFlags]));
  const id = flags.get('id');
  if (!id) throw new UsageError('import: give --id NAME (lower-case letters, digits, . _ -)');
  const folder = flags.get('folder');
  if (folder !== undefined) return importFolder(id, folder, flags, io);
  for (const f of fileFlags)
    if (!flags.get(f)) throw new UsageError(`import: give --${f} FILE (an idx file, gzipped or not)`);
  return withWorkbench(flags, (wb) => {
    const info = importIdxDataset(wb.db, {
      id,
      title: flags.get('title') ?? id,
      files: {
        trainImages: flags.get('train-images') ?? '',
        trainLabels: flags.get('train-labels') ?? '',
        testImages: flags.get('test-images') ?? '',
        testLabels: flags.get('test-labels') ?? '',
      },
    });
    io.out(
      `Imported "${info.id}": ${info.trainCount} train / ${info.testCount} test images, ${info.height}×${info.width}.`,
    );
    return 0;
  });
}

/** `import --folder DIR --size N`: a folder of PNG/JPEG images, with progress on stderr for large folders. */
function importFolder(id: string, folder: string, flags: Map<string, string>, io: Io): Promise<number> {
  const size = positiveIntFlag('size', flags.get('size'), 28, 256) as number;
  return withWorkbench(flags, (wb) => {
    let shown = 0;
    const info = importFolderDataset(wb.db, {
      id,
      title: flags.get('title') ?? id,
      folder,
      size,
      onProgress: (done, total) => {
        const tenth = Math.floor((10 * done) / total);
        if (total >= 1000 && tenth > shown) {
          shown = tenth;
          io.err(`reading images: ${done} of ${total}`);
        }
      },
    });
    io.out(
      `Imported "${info.id}": ${info.trainCount} train / ${info.testCount} test images, ${info.height}×${info.width}, greyscale.`,
    );
    return 0;
  });
}

function positiveIntFlag(name: string, raw: string | undefined, fallback: number | null, max: number): number | null {
  if (raw === undefined) return fallback;
  if (raw === 'all' && name === 'examples') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new UsageError(
      `--${name} ${JSON.stringify(raw)}: allowed: an integer from 1 to ${max}${name === 'examples' ? ', or all' : ''}`,
    );
  }
  return n;
}

async function cmdNll(positionals: string[], flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('nll', flags, new Set([...common, 'k', 'examples', 'epoch']));
  const id = runIdArg('nll', positionals);
  const k = positiveIntFlag('k', flags.get('k'), 5000, 100_000) as number;
  const examples = positiveIntFlag('examples', flags.get('examples'), 1000, 1_000_000);
  const epoch = positiveIntFlag('epoch', flags.get('epoch'), null, 1_000_000) ?? undefined;
  return withWorkbench(flags, async (wb) => {
    const started = Date.now();
    const estimate = await estimateTestNll(wb.db, wb.dbPath, id, {
      k,
      examples,
      epoch,
      onProgress: (done, total) => {
        const eta = ((Date.now() - started) / 1000 / done) * (total - done);
        const line = `run ${id}: ${done}/${total} test examples, k = ${k}, ETA ${formatDuration(eta)}`;
        if (io.isTty) process.stdout.write(`\r\x1b[2K${line}`);
      },
    });
    if (io.isTty) process.stdout.write('\r\x1b[2K');
    io.out(
      `run ${id} epoch ${estimate.epoch}: test NLL ${formatMetric(estimate.nll)} nats (k = ${estimate.k}, ${estimate.count} examples, ${formatDuration((Date.now() - started) / 1000)})`,
    );
    return 0;
  });
}

async function cmdReport(flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('report', flags, new Set([...common, 'out', 'runs', 'experiment', 'title']));
  const out = flags.get('out');
  if (!out) throw new UsageError('report: give --out DIR (created if missing)');
  if (flags.has('runs') === flags.has('experiment'))
    throw new UsageError('report: give either --runs ID,ID or --experiment ID');
  let selection: ReportSelection;
  if (flags.has('runs')) selection = { runIds: idListFlag('runs', flags.get('runs') ?? '') };
  else selection = { experimentId: experimentIdFlag(flags.get('experiment'))! };
  return withWorkbench(flags, async (wb) => {
    const { written, runCount } = await writeReport(
      { db: wb.db, latent: wb.latent, version: APP_VERSION },
      selection,
      out,
      flags.get('title'),
    );
    io.out(`Wrote ${written.join(', ')} (${runCount} runs)`);
    return 0;
  });
}

async function cmdServe(flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags('serve', flags, new Set([...common, 'port', 'host', 'workers', 'redis', ...backendFlags]));
  const target = redisTarget(flags.get('redis'), (m) => new UsageError(m));
  const remoteSlots = target ? positiveInteger('workers', flags.get('workers'), (m) => new UsageError(m)) : null;
  const workers = target ? null : (workersFlag(flags.get('workers')) ?? null);
  const portRaw = flags.get('port') ?? '0';
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(
      `--port ${JSON.stringify(portRaw)}: allowed: an integer from 0 to 65535 (0 picks a free port)`,
    );
  const backend = await backendOption(flags);
  const { startServer } = await import('../server/server');
  const remote = target ? startCoordinator(target, io) : null;
  const server = await startServer({
    dbPath: resolveDbPath(flags.get('db')),
    port,
    host: flags.get('host') ?? '127.0.0.1',
    backend,
    workers,
    ...(remote
      ? {
          spawn: remote.spawn,
          remoteSlots: remoteSlots ?? remote.workerSlots,
          remoteWorkers: () => remote.listWorkers(),
        }
      : {}),
  });
  io.out(`Workbench: ${server.url}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await remote?.close();
  return 0;
}

async function cmdWorker(flags: Map<string, string>, io: Io): Promise<number> {
  checkFlags(
    'worker',
    flags,
    new Set(['help', 'redis', 'concurrency', 'exit-when-idle', 'idle-seconds', ...backendFlags]),
  );
  if (flags.has('help')) {
    io.out(WORKER_HELP);
    return 0;
  }
  const target = redisTarget(flags.get('redis'), (m) => new UsageError(m));
  if (!target) throw new UsageError('worker: give --redis URL, the Redis the coordinating workbench publishes to');
  const concurrency = positiveInteger('concurrency', flags.get('concurrency'), (m) => new UsageError(m)) ?? 1;
  const backend = await backendOption(flags);
  const idle =
    positiveInteger('idle-seconds', flags.get('idle-seconds'), (m) => new UsageError(m)) ?? DEFAULT_IDLE_SECONDS;
  return runWorker({ target, concurrency, backend, exitWhenIdleSec: flags.has('exit-when-idle') ? idle : null }, io);
}

type Command = (positionals: string[], flags: Map<string, string>, io: Io) => Promise<number>;

/** Every command by name, in the order the help lists them. */
const commands = new Map<string, Command>([
  ['queue', (_, flags, io) => cmdQueue(flags, io)],
  ['run', (_, flags, io) => cmdRun(flags, io)],
  ['list', (_, flags, io) => cmdList(flags, io)],
  ['show', cmdShow],
  ['resume', cmdResume],
  ['cancel', cmdCancel],
  ['export', (_, flags, io) => cmdExport(flags, io)],
  ['datasets', (_, flags, io) => cmdDatasets(flags, io)],
  ['import', (_, flags, io) => cmdImport(flags, io)],
  ['nll', cmdNll],
  ['report', (_, flags, io) => cmdReport(flags, io)],
  ['serve', (_, flags, io) => cmdServe(flags, io)],
  ['backends', (_, flags, io) => cmdBackends(flags, io)],
  ['worker', (_, flags, io) => cmdWorker(flags, io)],
]);

/** Commands that print a help of their own for --help (the others print their lines of HELP). */
const commandsWithOwnHelp = new Set(['queue', 'run', 'backends', 'worker']);

/** A command's lines of the usage: the lines that name it and the lines that continue them. */
export function commandHelp(command: string): string {
  const lines = HELP.split('\n');
  const picked: string[] = [];
  let inCommand = false;
  for (const line of lines) {
    if (/^ {2}\S/.test(line)) inCommand = line.slice(2).split(/\s+/)[0] === command;
    else if (!/^ {3,}\S/.test(line)) inCommand = false;
    if (inCommand) picked.push(line);
  }
  return `vae-workbench ${command} [--db PATH]   (default $VAE_WORKBENCH_DB or ./experiments.db)\n${picked.join('\n')}`;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const { command, positionals, flags } = parseArgs(argv);
    if (command === null || command === 'help') {
      io.out(HELP);
      return command === null ? 2 : 0;
    }
    const run = commands.get(command);
    if (!run) throw new UsageError(`unknown command "${command}"; commands: ${[...commands.keys()].join(', ')}`);
    // `--help` only ever explains: a command without a help of its own prints its lines of the usage, and never
    // does its work (`cancel 3 --help` cancels nothing, `serve --help` serves nothing).
    if (flags.has('help') && !commandsWithOwnHelp.has(command)) {
      io.out(commandHelp(command));
      return 0;
    }
    return await run(positionals, flags, io);
  } catch (error) {
    // Refused requests (bad flags, values, states, unknown ids) exit 2; failures while working exit 1.
    if (
      (error instanceof ApiError && error.name !== 'Error') ||
      error instanceof ReportError ||
      error instanceof UsageError ||
      error instanceof FlagError ||
      error instanceof ConfigError ||
      error instanceof DatasetError ||
      error instanceof DatasetIdError
    ) {
      io.err(`error: ${error.message}`);
      return 2;
    }
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
}
