import type { ConfigKey } from '../../src-shared/config';
import type { NllEstimate } from '../../src-shared/nll';
import { describeDifference, parameters } from '../../src-shared/parameters';
import type { EpochMetrics, RunSummary } from '../../src-shared/runs';
import type { EpochImages } from '../../src-shared/runs';
import type { ReportAnalysis } from './analysis';
import type { ChartLayout } from './chart';
import { formatMetric } from './format';
import { baselineNote, hasElbo, modelKindName, NOT_APPLICABLE } from '../../src-shared/baselines';

/**
 * What a report holds, and how its parts are named: built by report.ts, drawn by html.ts and pdf.ts, which import
 * only this module, never one another.
 */

/** A decoded image grid (8-bit grey, row-major): manifolds. */
export interface ImageGrid {
  pixels: Uint8Array;
  width: number;
  height: number;
}

export interface ReportRun {
  run: RunSummary;
  metrics: EpochMetrics[];
  images: EpochImages | null;
  manifold: ImageGrid | null;
  /** The newest importance-sampled test NLL, when one was computed (`vae-workbench nll`). */
  nll: NllEstimate | null;
  color: string;
}

/** The per-run metric columns of the final-metrics table, after the run's id, name, status and epochs. */
export const FINAL_METRIC_HEADER = [
  'model',
  'ELBO',
  'recon',
  'KL',
  'IWAE L_k',
  'sq. error',
  'active units',
  'NLL',
  'best ELBO',
];

/**
 * A run's final metrics as the report prints them, in FINAL_METRIC_HEADER's order: ELBO, KL, the IWAE bound, NLL and
 * best ELBO read n/a for a baseline (no KL term), the IWAE bound — for runs trained with k = 1.
 */
export function finalMetricCells(run: RunSummary, nll: NllEstimate | null): string[] {
  const t = run.last.test;
  const vae = hasElbo(run.config);
  const elboOnly = (value: number | null | undefined): string => (vae ? formatMetric(value) : NOT_APPLICABLE);
  return [
    modelKindName(run.config),
    elboOnly(t?.elbo),
    formatMetric(t?.recon),
    elboOnly(t?.kl),
    elboOnly(t?.iwae),
    formatMetric(t?.sqError),
    `${run.activeUnits ?? '—'} / ${run.config.latentDim}`,
    vae ? formatNll(nll, run.id) : NOT_APPLICABLE,
    vae
      ? `${formatMetric(run.best.testElbo)}${run.best.testElboEpoch ? ` (epoch ${run.best.testElboEpoch})` : ''}`
      : NOT_APPLICABLE,
  ];
}

/** What the report says about baselines among its runs, or null when there are none. */
export function baselinesNote(runs: readonly RunSummary[]): string | null {
  const baselines = runs.filter((r) => !hasElbo(r.config));
  if (baselines.length === 0) return null;
  const notes = [...new Set(baselines.map((r) => baselineNote(r.config)))];
  return `Baselines (runs ${baselines.map((r) => r.id).join(', ')}): ${notes.join('; ')}. IWAE L_k: the test IWAE bound of runs trained with k > 1 importance samples; sq. error: E_q Σ(x − x̂)² per image, x̂ the decoder's mean (z = μ(x) for a baseline), comparable across likelihoods.`;
}

/** "86.80 (k = 5000, 1000 ex., epoch 10)", or a dash when no estimate was computed. */
/** A run's NLL for the report; one never estimated says so, with the command that estimates it. */
export function formatNll(nll: NllEstimate | null, runId: number): string {
  return nll === null
    ? `not computed (vae-workbench nll ${runId})`
    : `${formatMetric(nll.nll)} (k = ${nll.k}, ${nll.count} ex., epoch ${nll.epoch})`;
}

export interface Report {
  title: string;
  createdAt: Date;
  appVersion: string;
  runs: ReportRun[];
  /** Parameters whose values differ between the runs: highlighted in the table, named in legends. */
  differing: ConfigKey[];
  charts: ChartLayout[];
  /** Runs grouped over seeds and the rate–distortion plane. */
  analysis: ReportAnalysis;
}

/** "β = 4, latent dim = 2": what tells a run apart from the others in the report, named as in the window. */
export function runLegend(run: RunSummary, differing: readonly ConfigKey[]): string {
  return describeDifference(run.config, differing.slice(0, 3)) || `run ${run.id}`;
}

/**
 * The parameter table's columns, in the parameter table's order: those a reader looks for first (headline) and
 * those that differ between the runs. The others are listed once, as shared by all runs.
 */
export function parameterColumns(differing: readonly ConfigKey[]): ConfigKey[] {
  return parameters.filter((p) => p.headline || differing.includes(p.key)).map((p) => p.key);
}
