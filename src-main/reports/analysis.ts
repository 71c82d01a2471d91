import {
  alignByEpoch,
  defaultGroupKeys,
  formatMeanStd,
  groupRuns,
  summarize,
  type Stats,
} from '../../src-shared/aggregate';
import type { ConfigKey } from '../../src-shared/config';
import type { EpochMetrics, RunSummary } from '../../src-shared/runs';
import { paramLabels } from '../../src-shared/parameters';
import {
  layoutRateDistortion,
  rateDistortionSvg,
  type RdLayout,
  type RdPointInput,
  type RdReference,
} from '../../src-shared/rate-distortion';
import { hasElbo, NOT_APPLICABLE } from '../../src-shared/baselines';
import { runColour } from '../../src-shared/palette';
import { layoutChart, chartSvg, type ChartLayout } from './chart';

/** A group's colour: its lowest run id's, as in the compare view, whatever order the runs come in. */
const groupColour = (runs: readonly AnalysisRun[]): string => runColour(Math.min(...runs.map((r) => r.run.id)));

/**
 * The report's analysis sections, computed with the same pure functions as the compare view: runs grouped over seeds
 * (mean ± std and n per metric, curves with ± std bands) and the rate–distortion plane.
 */

/** What the analysis needs of a report's run. */
export interface AnalysisRun {
  run: RunSummary;
  metrics: EpochMetrics[];
  nll: { nll: number } | null;
  color: string;
}

export interface ReportGroup {
  label: string;
  color: string;
  runIds: number[];
  stats: {
    elbo: Stats;
    bestElbo: Stats;
    recon: Stats;
    kl: Stats;
    iwae: Stats;
    sqError: Stats;
    activeUnits: Stats;
    nll: Stats;
  };
  /** A group of baselines (PCA, linear AE): no KL term, so its ELBO, KL, IWAE bound and NLL read n/a. */
  baseline: boolean;
}

export interface ReportAnalysis {
  /** The parameters that define a group (everything that differs but the seed). */
  groupKeys: ConfigKey[];
  /** null when no group holds more than one run: the per-run tables already say everything. */
  groups: ReportGroup[] | null;
  /** Test curves of each group: mean with a ± std band, through the epochs all its runs reached. */
  groupCharts: ChartLayout[];
  rateDistortion: RdLayout;
}

const testCurve = (r: AnalysisRun, pick: (m: EpochMetrics) => number) =>
  r.metrics
    .filter((m) => m.split === 'test')
    .sort((a, b) => a.epoch - b.epoch)
    .map((m) => ({ epoch: m.epoch, value: pick(m) }));

export function buildReportAnalysis(runs: readonly AnalysisRun[]): ReportAnalysis {
  const groupKeys = defaultGroupKeys(runs.map((r) => r.run.config));
  const grouped = groupRuns(
    runs.map((r) => ({ ...r, config: r.run.config })),
    groupKeys,
  );
  const hasGroups = grouped.some((g) => g.runs.length > 1);
  const groups: ReportGroup[] | null = hasGroups
    ? grouped.map((g) => ({
        label: g.label,
        color: groupColour(g.runs),
        runIds: g.runs.map((r) => r.run.id),
        stats: {
          elbo: summarize(g.runs.map((r) => r.run.last.test?.elbo)),
          bestElbo: summarize(g.runs.map((r) => r.run.best.testElbo)),
          recon: summarize(g.runs.map((r) => r.run.last.test?.recon)),
          kl: summarize(g.runs.map((r) => r.run.last.test?.kl)),
          iwae: summarize(g.runs.map((r) => r.run.last.test?.iwae)),
          sqError: summarize(g.runs.map((r) => r.run.last.test?.sqError)),
          activeUnits: summarize(g.runs.map((r) => r.run.activeUnits)),
          nll: summarize(g.runs.map((r) => r.nll?.nll)),
        },
        baseline: !hasElbo(g.runs[0].run.config),
      }))
    : null;

  const groupChart = (title: string, pick: (m: EpochMetrics) => number, elboOnly = false): ChartLayout => {
    const aligned = grouped
      .filter((g) => !elboOnly || hasElbo(g.runs[0].run.config))
      .map((g) => {
        const a = alignByEpoch(g.runs.map((r) => testCurve(r, pick)));
        return { g, epochs: a.epochs.filter((e) => e.epoch <= a.commonEpochs) };
      });
    return layoutChart({
      title,
      xLabel: 'epoch',
      yLabel: 'nats per example',
      width: 340,
      height: 220,
      series: aligned.map(({ g, epochs }) => ({
        label: g.label,
        color: groupColour(g.runs),
        dashed: false,
        points: epochs.map((e) => ({ x: e.epoch, y: e.mean })),
      })),
      bands: aligned
        .filter(({ g }) => g.runs.length > 1)
        .map(({ g, epochs }) => ({
          color: groupColour(g.runs),
          points: epochs.map((e) => ({ x: e.epoch, lo: e.mean - e.std, hi: e.mean + e.std })),
        })),
    });
  };
  const groupCharts = hasGroups
    ? [
        groupChart('Reconstruction (test, mean ± std)', (m) => m.recon),
        groupChart('KL (test, mean ± std)', (m) => m.kl, true),
        groupChart('ELBO (test, mean ± std)', (m) => m.elbo, true),
      ]
    : [];

  // A baseline has no rate: a reference line at its distortion instead of a point.
  const references: RdReference[] = grouped
    .filter((g) => !hasElbo(g.runs[0].run.config))
    .map((g) => ({
      id: g.id,
      label: g.label || `run ${g.runs[0].run.id}`,
      color: groupColour(g.runs),
      distortion: summarize(g.runs.map((r) => r.run.last.test?.recon)).mean,
    }));
  const points: RdPointInput[] = grouped
    .filter((g) => hasElbo(g.runs[0].run.config))
    .map((g) => {
      const rate = summarize(g.runs.map((r) => r.run.last.test?.kl));
      const distortion = summarize(g.runs.map((r) => r.run.last.test?.recon));
      const kl = alignByEpoch(g.runs.map((r) => testCurve(r, (m) => m.kl)));
      const recon = alignByEpoch(g.runs.map((r) => testCurve(r, (m) => m.recon)));
      const single = g.runs.length === 1;
      return {
        id: g.id,
        label: hasGroups
          ? g.label
          : g.runs.length === 1 && groupKeys.length === 0
            ? `run ${g.runs[0].run.id}`
            : g.label,
        color: groupColour(g.runs),
        rate: rate.mean,
        distortion: distortion.mean,
        rateStd: single ? undefined : rate.std,
        distortionStd: single ? undefined : distortion.std,
        n: g.runs.length,
        trajectory: kl.epochs
          .filter((e) => e.epoch <= kl.commonEpochs)
          .map((e, i) => ({ epoch: e.epoch, rate: e.mean, distortion: recon.epochs[i]?.mean ?? NaN })),
      };
    });
  return {
    groupKeys,
    groups,
    groupCharts,
    rateDistortion: layoutRateDistortion({ points, width: 520, height: 340, references }),
  };
}

/** "β" or "β, latent dim": what the groups are made by, in the window's words. */
export function groupedBy(analysis: ReportAnalysis): string {
  return analysis.groupKeys.length === 0 ? 'nothing' : analysis.groupKeys.map((k) => paramLabels[k]).join(', ');
}

/** A group's row: label, n, then mean ± std of ELBO, best ELBO, recon, KL, active units and NLL. */
export function groupRow(g: ReportGroup): string[] {
  const nll =
    g.stats.nll.n === 0
      ? '—'
      : `${formatMeanStd(g.stats.nll, 2)}${g.stats.nll.n < g.runIds.length ? ` (${g.stats.nll.n} of ${g.runIds.length})` : ''}`;
  const elboOnly = (text: string): string => (g.baseline ? NOT_APPLICABLE : text);
  return [
    g.label,
    String(g.runIds.length),
    elboOnly(formatMeanStd(g.stats.elbo, 2)),
    elboOnly(formatMeanStd(g.stats.bestElbo, 2)),
    formatMeanStd(g.stats.recon, 2),
    elboOnly(formatMeanStd(g.stats.kl, 2)),
    elboOnly(g.stats.iwae.n === 0 ? '—' : formatMeanStd(g.stats.iwae, 2)),
    g.stats.sqError.n === 0 ? '—' : formatMeanStd(g.stats.sqError, 2),
    formatMeanStd(g.stats.activeUnits, 1),
    elboOnly(nll),
  ];
}

export const GROUP_HEADER = [
  'group',
  'n',
  'ELBO',
  'best ELBO',
  'recon',
  'KL',
  'IWAE L_k',
  'sq. error',
  'active units',
  'NLL',
];

const esc = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/** The HTML sections: grouped table and curves (when there are groups), then the rate–distortion plane. */
export function analysisHtml(analysis: ReportAnalysis): string {
  const parts: string[] = [];
  if (analysis.groups) {
    const rows = analysis.groups
      .map((g) => {
        const [label, ...cells] = groupRow(g);
        return `<tr><td><span class="swatch" style="background:${g.color}"></span>${esc(label)} <span class="muted">runs ${g.runIds.join(', ')}</span></td>${cells.map((c) => `<td class="num">${esc(c)}</td>`).join('')}</tr>`;
      })
      .join('');
    parts.push(
      `<h2>Runs grouped by ${esc(groupedBy(analysis))} <small>(test split, last epoch; mean ± sample std over each group's runs, n − 1)</small></h2>`,
      `<table class="groups"><thead><tr>${GROUP_HEADER.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`,
      `<div class="charts">${analysis.groupCharts.map(chartSvg).join('')}</div>`,
    );
  }
  parts.push(
    `<h2>Rate–distortion plane <small>(Alemi et al. 2018: rate R = KL, distortion D = reconstruction, nats per example; dashed: equal ELBO = −(R + D); faint paths: per-epoch trajectories${analysis.groups ? '; bars: ± std over the group' : ''}${analysis.rateDistortion.references.length > 0 ? '; dash-dot lines: baselines, which have no rate, at their distortion' : ''})</small></h2>`,
    `<div class="charts">${rateDistortionSvg(analysis.rateDistortion)}</div>`,
  );
  return parts.join('\n');
}
