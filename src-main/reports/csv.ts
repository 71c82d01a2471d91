import type { EpochMetrics, RunSummary } from '../../src-shared/runs';
import { csvColumn, formatParameter, parameters } from '../../src-shared/parameters';

/** iwae (the test IWAE bound of k > 1 runs) and sq_error are empty where not recorded. */
const METRIC_COLUMNS = [
  'epoch',
  'split',
  'recon',
  'kl',
  'beta_kl',
  'elbo',
  'loss',
  'beta_at_epoch',
  'iwae',
  'sq_error',
] as const;

/**
 * One row per run × epoch × split; every parameter first (written as the CLI and the form take it, e.g. 512x256),
 * so a spreadsheet can pivot on any of them.
 */
export const CSV_COLUMNS: readonly string[] = [
  'run_id',
  'experiment',
  'run_name',
  ...parameters.map((p) => csvColumn(p.key)),
  ...METRIC_COLUMNS,
];

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

/** What a row needs of its run. */
export type CsvRun = Pick<RunSummary, 'id' | 'experimentName' | 'name' | 'config'>;

export function metricsCsv(runs: readonly CsvRun[], metrics: readonly EpochMetrics[]): string {
  const byId = new Map(runs.map((run) => [run.id, run]));
  const lines = [CSV_COLUMNS.join(',')];
  for (const m of metrics) {
    const run = byId.get(m.runId);
    if (!run) continue;
    const row: (string | number | null)[] = [
      run.id,
      run.experimentName,
      run.name,
      ...parameters.map((p) => formatParameter(p.key, run.config[p.key])),
      m.epoch,
      m.split,
      m.recon,
      m.kl,
      m.betaKl,
      m.elbo,
      m.loss,
      m.beta,
      m.iwae ?? null,
      m.sqError ?? null,
    ];
    lines.push(row.map(cell).join(','));
  }
  return lines.join('\n') + '\n';
}
