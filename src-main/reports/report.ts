import type { Database } from 'better-sqlite3';
import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { differingKeys } from '../../src-shared/sweep';
import type { EpochMetrics, RunSummary } from '../../src-shared/runs';
import { getEpochImages, getEpochMetrics } from '../store/metrics';
import { listNllEstimates } from '../store/nll';
import { listRuns } from '../store/runs';
import { runColour } from '../../src-shared/palette';
import { layoutChart, type ChartLayout, type ChartSeries } from './chart';
import { metricsCsv } from './csv';
import { reportHtml } from './html';
import { runLegend, type ImageGrid, type Report, type ReportRun } from './document';
import { reportPdf } from './pdf';
import { hasElbo } from '../../src-shared/baselines';
import { buildReportAnalysis } from './analysis';

export type ReportSelection = { runIds: number[] } | { experimentId: number };

/** Why a report cannot be made: the selection names no runs (not-found), is empty (invalid), or the files cannot be written. */
export class ReportError extends Error {
  override name = 'ReportError';
  constructor(
    message: string,
    readonly code: 'not-found' | 'invalid' | 'write' = 'write',
  ) {
    super(message);
  }
}

/** Decodes a 2-D run's manifold from its last checkpoint; supplied by the caller, which owns TF.js. */
export type ManifoldDecoder = (run: RunSummary) => Promise<ImageGrid | null>;

/** The manifold a report shows: 20×20 over both latent dimensions, spaced through Φ⁻¹ (Kingma & Welling 2014, fig. 4). */
export const REPORT_MANIFOLD = {
  n: 20,
  dims: [0, 1] as [number, number],
  base: 'zero' as const,
  spacing: 'inverse-cdf' as const,
  r: 3,
};

/**
 * A ManifoldDecoder over a latent-space requester: the latent process in the app, the in-process engine in the CLI.
 * A run without a usable checkpoint simply has no manifold in its report.
 */
export function manifoldDecoder(
  request: (input: typeof REPORT_MANIFOLD & { runId: number }) => Promise<{ grid: ImageGrid }>,
): ManifoldDecoder {
  return async (run) => {
    try {
      return (await request({ ...REPORT_MANIFOLD, runId: run.id })).grid;
    } catch {
      return null;
    }
  };
}

export function selectRuns(db: Database, selection: ReportSelection): RunSummary[] {
  if ('runIds' in selection) {
    if (selection.runIds.length === 0)
      throw new ReportError('the selection is empty: choose at least one run', 'invalid');
    const runs = listRuns(db, { ids: selection.runIds });
    const missing = selection.runIds.filter((id) => !runs.some((r) => r.id === id));
    if (missing.length > 0) throw new ReportError(`no run ${missing.join(', ')} in this database`, 'not-found');
    return runs;
  }
  const runs = listRuns(db, { experimentId: selection.experimentId });
  if (runs.length === 0)
    throw new ReportError(`experiment ${selection.experimentId} has no runs (or does not exist)`, 'not-found');
  return runs;
}

export async function buildReport(
  db: Database,
  selection: ReportSelection,
  options: {
    appVersion: string;
    title?: string;
    decodeManifold?: ManifoldDecoder;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<Report> {
  const runs = selectRuns(db, selection);
  const differing = differingKeys(runs.map((r) => r.config));
  const metrics = getEpochMetrics(
    db,
    runs.map((r) => r.id),
  );
  const reportRuns: ReportRun[] = [];
  for (const [i, run] of runs.entries()) {
    options.onProgress?.(i, runs.length);
    const images = run.epochsDone > 0 ? (getEpochImages(db, run.id, run.epochsDone) ?? null) : null;
    const manifold =
      options.decodeManifold && run.epochsDone > 0 && run.config.latentDim === 2
        ? await options.decodeManifold(run)
        : null;
    reportRuns.push({
      run,
      metrics: metrics.filter((m) => m.runId === run.id),
      images,
      manifold,
      nll:
        listNllEstimates(db, run.id)
          .filter((e) => e.split === 'test')
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
          .at(-1) ?? null,
      color: runColour(run.id),
    });
  }
  options.onProgress?.(runs.length, runs.length);
  /** elboOnly: KL, ELBO, the IWAE bound: a baseline has none, so its curve is left out rather than drawn at 0. */
  const chart = (
    title: string,
    yLabel: string,
    pick: (m: EpochMetrics) => number | null | undefined,
    elboOnly = false,
  ): ChartLayout => {
    const series: ChartSeries[] = reportRuns
      .filter((r) => !elboOnly || hasElbo(r.run.config))
      .flatMap((r) =>
        (['train', 'test'] as const).map((split) => ({
          label: `${runLegend(r.run, differing)} (${split})`,
          color: r.color,
          dashed: split === 'train',
          points: levelOfFit(
            r.run,
            r.metrics
              .filter((m) => m.split === split)
              .flatMap((m) => {
                const y = pick(m);
                return typeof y === 'number' ? [{ x: m.epoch, y }] : [];
              }),
          ),
        })),
      )
      .filter((s) => s.points.length > 0);
    return layoutChart({ series, width: 340, height: 220, title, xLabel: 'epoch', yLabel });
  };
  // PCA is fitted once: its value is drawn as a level across the epochs of the other runs, as in Compare.
  const lastEpoch = Math.max(1, ...runs.map((r) => r.epochsDone));
  const levelOfFit = (run: RunSummary, points: { x: number; y: number }[]): { x: number; y: number }[] =>
    run.config.model === 'pca' && points.length === 1 && lastEpoch > 1
      ? [points[0], { x: lastEpoch, y: points[0].y }]
      : points;
  const recorded = (pick: (m: EpochMetrics) => number | null | undefined): boolean =>
    metrics.some((m) => typeof pick(m) === 'number');
  const charts = [
    chart('Reconstruction', 'nats per example', (m) => m.recon),
    chart('KL(q(z|x) ‖ p(z))', 'nats per example', (m) => m.kl, true),
    chart('ELBO', 'nats per example', (m) => m.elbo, true),
    ...(recorded((m) => m.iwae) ? [chart('IWAE bound L_k (test)', 'nats per example', (m) => m.iwae, true)] : []),
    // The likelihood-free distortion where baselines sit beside VAEs.
    ...(runs.some((r) => !hasElbo(r.config)) && recorded((m) => m.sqError)
      ? [chart('Squared error E_q Σ(x − x̂)² (test)', 'per image', (m) => m.sqError)]
      : []),
  ];
  const title =
    options.title ??
    (runs.length === 1 ? `VAE Workbench report: ${runs[0].name}` : `VAE Workbench report: ${runs[0].experimentName}`);
  return {
    title,
    createdAt: new Date(),
    appVersion: options.appVersion,
    runs: reportRuns,
    differing,
    charts,
    analysis: buildReportAnalysis(reportRuns),
  };
}

export interface ReportFiles {
  html: string;
  pdf: Buffer;
  csv: string;
}

export async function renderReport(report: Report): Promise<ReportFiles> {
  const csv = metricsCsv(
    report.runs.map((r) => r.run),
    report.runs.flatMap((r) => r.metrics),
  );
  return { html: reportHtml(report), pdf: await reportPdf(report), csv };
}

export const REPORT_FILE_NAMES = { html: 'report.html', pdf: 'report.pdf', csv: 'metrics.csv' } as const;

/**
 * Writes report.html, report.pdf and metrics.csv into `dir`. Everything is rendered first; the files are written
 * beside their targets and renamed, and on any failure every file this call wrote is removed.
 */
export function writeReportFiles(dir: string, files: ReportFiles): string[] {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new ReportError(`${dir} is a file, not a directory`, 'invalid');
  let created = false;
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir, { recursive: true });
      created = true;
    } catch (error) {
      throw new ReportError(
        `cannot create the output directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  const written: string[] = [];
  const temps: string[] = [];
  try {
    const entries: [string, string | Buffer][] = [
      [REPORT_FILE_NAMES.html, files.html],
      [REPORT_FILE_NAMES.pdf, files.pdf],
      [REPORT_FILE_NAMES.csv, files.csv],
    ];
    for (const [name, content] of entries) {
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      temps.push(tmp);
      writeFileSync(tmp, content);
    }
    for (const [name] of entries) {
      const target = join(dir, name);
      renameSync(join(dir, `.${name}.${process.pid}.tmp`), target);
      written.push(target);
    }
    return written;
  } catch (error) {
    for (const path of [...temps, ...written]) rmSync(path, { force: true });
    if (created) rmSync(dir, { recursive: true, force: true });
    throw new ReportError(
      `cannot write the report into ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
