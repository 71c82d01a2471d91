import type { EpochMetrics, RunSummary } from '../../src-shared/runs';

/** One row per run × epoch × split; parameters first so a spreadsheet can pivot on them. */
export const CSV_COLUMNS = [
  'run_id',
  'experiment',
  'run_name',
  'dataset',
  'architecture',
  'likelihood',
  'beta',
  'latent_dim',
  'alpha',
  'learning_rate',
  'batch_size',
  'seed',
  'epoch',
  'split',
  'recon',
  'kl',
  'beta_kl',
  'elbo',
  'loss',
  'beta_at_epoch',
] as const;

function cell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    // NaN and ±Inf are kept as words so a failed run's history is not silently blank.
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
    return String(value);
  }
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function metricsCsv(runs: readonly RunSummary[], metrics: readonly EpochMetrics[]): string {
  const byId = new Map(runs.map((run) => [run.id, run]));
  const lines = [CSV_COLUMNS.join(',')];
  for (const m of metrics) {
    const run = byId.get(m.runId);
    if (!run) continue;
    const c = run.config;
    const row: (string | number | null)[] = [
      run.id,
      run.experimentName,
      run.name,
      c.dataset,
      c.architecture,
      c.likelihood,
      c.beta,
      c.latentDim,
      c.alpha,
      c.learningRate,
      c.batchSize,
      c.seed,
      m.epoch,
      m.split,
      m.recon,
      m.kl,
      m.betaKl,
      m.elbo,
      m.loss,
      m.beta,
    ];
    lines.push(row.map(cell).join(','));
  }
  return lines.join('\n') + '\n';
}
