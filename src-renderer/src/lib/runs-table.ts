import type { RunListEntry } from '../../../src-shared/run-list';
import type { ConfigKey } from '../../../src-shared/config';
import { parameter, shownParameter } from '../../../src-shared/parameters';
import { duration, num, paramValue } from './format';
import { formatMeanStd, groupRuns, summarize } from '../../../src-shared/aggregate';
import { hasElbo, modelKindName, NOT_APPLICABLE } from '../../../src-shared/baselines';

export interface Column {
  id: string;
  title: string;
  /** Tooltip: what the number is. */
  help?: string;
  width: number;
  align?: 'right';
  /** A metric: a group of runs shows its mean ± std. */
  metric?: boolean;
  value: (r: RunListEntry) => number | string | null;
  text: (r: RunListEntry) => string;
}

/** A metric column; `elboOnly` metrics (ELBO, KL, NLL, the IWAE bound) read n/a for a baseline, never 0. */
const metric = (
  id: string,
  title: string,
  help: string,
  value: (r: RunListEntry) => number | null | undefined,
  digits = 1,
  elboOnly = false,
): Column => ({
  id,
  title,
  help,
  // Wide enough for a group's "−532.4 ± 0.4".
  width: 124,
  align: 'right',
  metric: true,
  value: (r) => (elboOnly && !hasElbo(r.config) ? null : (value(r) ?? null)),
  text: (r) => (elboOnly && !hasElbo(r.config) ? NOT_APPLICABLE : num(value(r), digits)),
});

/**
 * A scalar parameter, named and shown as everywhere in the workbench (short label as title, form title as tooltip);
 * sorts by its value.
 */
const param = (key: ConfigKey, width: number): Column => {
  const { label, title, kind } = parameter(key);
  return {
    id: key,
    title: label,
    help: title,
    width,
    // Numbers align right, words left.
    align: kind.type === 'integer' || kind.type === 'number' ? 'right' : undefined,
    value: (r) => r.config[key] as number | string,
    // A parameter the run's kind ignores (β of a PCA baseline) reads —, not the value it was stored with.
    text: (r) => shownParameter(key, r.config),
  };
};

/**
 * The runs table's columns: parameters first, then metrics in nats per example. `nllOf` gives a run's newest test
 * NLL estimate (kept by the workbench state, not in the run summary).
 */
export function tableColumns(nllOf: (runId: number) => number | null): Column[] {
  return [
    { id: 'id', title: 'Run', width: 84, align: 'right', value: (r) => r.id, text: (r) => `#${r.id}` },
    {
      id: 'experiment',
      title: 'Experiment',
      width: 160,
      value: (r) => r.experimentName,
      text: (r) => r.experimentName,
    },
    { id: 'status', title: 'Status', width: 100, value: (r) => r.status, text: (r) => r.status },
    {
      id: 'model',
      title: parameter('model').label,
      help: 'VAE, or a baseline: PCA (closed form) or linear AE; a baseline has no KL term, so no ELBO, rate or NLL (n/a)',
      width: 86,
      value: (r) => modelKindName(r.config),
      text: (r) => modelKindName(r.config),
    },
    param('beta', 60),
    param('latentDim', 100),
    metric(
      'testElbo',
      'Test ELBO',
      'last epoch, nats per example (higher is better)',
      (r) => r.last.test?.elbo,
      1,
      true,
    ),
    metric('bestElbo', 'Best ELBO', 'best test ELBO over epochs', (r) => r.best.testElbo, 1, true),
    metric(
      'testRecon',
      'Recon',
      'test reconstruction term −log p(x|z), last epoch, nats per example; for a baseline −log p(x|x̂) of its reconstruction under the same likelihood',
      (r) => r.last.test?.recon,
    ),
    metric('testKl', 'KL', 'test KL(q(z|x) ‖ p(z)), last epoch', (r) => r.last.test?.kl, 1, true),
    metric(
      'testIwae',
      'IWAE L_k',
      'test IWAE bound L_k with the run’s k importance samples (α = β = 1), last epoch, nats per example; runs trained with k > 1',
      (r) => r.last.test?.iwae,
      1,
      true,
    ),
    metric(
      'testSqError',
      'Sq. error',
      'test squared error E_q Σ_d (x_d − x̂_d)² per image, x̂ the decoder’s mean (z = μ(x) for a baseline): the same measure for every decoder',
      (r) => r.last.test?.sqError,
    ),
    metric('activeUnits', 'Active', 'active units: Cov_x(E[z_j|x]) > 0.01', (r) => r.activeUnits, 0),
    metric(
      'nll',
      'NLL',
      'importance-sampled test −log p(x), newest estimate, nats per example',
      (r) => nllOf(r.id),
      2,
      true,
    ),
    {
      id: 'epochs',
      title: 'Epochs',
      width: 82,
      align: 'right',
      value: (r) => r.epochsDone,
      text: (r) => `${r.epochsDone}/${r.config.epochs}`,
    },
    param('dataset', 100),
    {
      id: 'architecture',
      title: parameter('architecture').label,
      help: 'architecture and layer sizes',
      width: 110,
      value: (r) => archText(r),
      text: (r) => archText(r),
    },
    param('likelihood', 104),
    param('learningRate', 70),
    param('seed', 70),
    {
      id: 'duration',
      title: 'Duration',
      width: 100,
      align: 'right',
      value: (r) => r.durationSec,
      text: (r) => duration(r.durationSec),
    },
    { id: 'backend', title: 'Backend', width: 92, value: (r) => r.backend, text: (r) => r.backend ?? '—' },
    { id: 'tags', title: 'Tags', width: 150, value: (r) => r.tags.join(' '), text: (r) => r.tags.join(', ') },
  ];
}

export const columns: Column[] = tableColumns(() => null);

/** mlp 512, conv 32x64; a baseline's model is linear, its size the latent dimension. */
function archText(r: RunListEntry): string {
  return r.config.model === 'vae' ? `${r.config.architecture} ${archSizes(r)}` : 'linear';
}

function archSizes(r: RunListEntry): string {
  return paramValue(r.config.architecture === 'conv' ? 'convChannels' : 'hiddenSizes', r.config);
}

export type SortDir = 1 | -1;

/** Missing values sort last in either direction; NaN counts as missing. */
export function compareBy(column: Column, dir: SortDir): (a: RunListEntry, b: RunListEntry) => number {
  return (a, b) => {
    const va = column.value(a);
    const vb = column.value(b);
    const ma = va === null || (typeof va === 'number' && Number.isNaN(va));
    const mb = vb === null || (typeof vb === 'number' && Number.isNaN(vb));
    if (ma || mb) return ma === mb ? a.id - b.id : ma ? 1 : -1;
    const c =
      typeof va === 'number' && typeof vb === 'number'
        ? va - vb
        : String(va).localeCompare(String(vb), 'en', { numeric: true });
    return c === 0 ? a.id - b.id : c * dir;
  };
}

/** Text a filter matches against: every shown value plus notes. */
export function searchText(r: RunListEntry): string {
  return `${columns.map((c) => c.text(r)).join(' ')} ${r.name} ${r.notes} model=${r.config.model} β=${r.config.beta} beta=${r.config.beta} latent=${r.config.latentDim} seed=${r.config.seed} dataset=${r.config.dataset}`.toLowerCase();
}

/**
 * Every whitespace-separated term must match (AND). A term with "=" (β=4, latent=2) must match a whole
 * word, so latent=2 does not also find latent=20; other terms match anywhere.
 */
export function matches(haystack: string, filter: string): boolean {
  const terms = filter
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '');
  return terms.every((t) => (t.includes('=') ? ` ${haystack} `.includes(` ${t} `) : haystack.includes(t)));
}

export type Row =
  | { kind: 'group'; experimentId: number; name: string; count: number }
  | { kind: 'aggregate'; id: string; label: string; runs: RunListEntry[] }
  | { kind: 'run'; run: RunListEntry };

/**
 * Rows grouped by parameters (over seeds by default): a summary row per group, then its runs unless collapsed.
 * Groups keep the order of their first run in `runs` (the table's sort).
 */
export function buildAggregateRows(
  runs: RunListEntry[],
  keys: readonly ConfigKey[],
  collapsed: ReadonlySet<string>,
): Row[] {
  const rows: Row[] = [];
  for (const group of groupRuns(runs, keys)) {
    rows.push({ kind: 'aggregate', id: group.id, label: group.label, runs: group.runs });
    if (!collapsed.has(group.id)) for (const run of group.runs) rows.push({ kind: 'run', run });
  }
  return rows;
}

/** What a group's summary row shows in a column: mean ± std of a metric, the shared value of a parameter, or n. */
export function aggregateText(column: Column, runs: readonly RunListEntry[]): string {
  if (column.id === 'id') return `n = ${runs.length}`;
  if (column.metric) {
    const digits = column.id === 'activeUnits' ? 1 : column.id === 'nll' ? 2 : 1;
    return formatMeanStd(summarize(runs.map((r) => column.value(r) as number | null)), digits);
  }
  const texts = new Set(runs.map((r) => column.text(r)));
  return texts.size === 1 ? [...texts][0] : '…';
}

export function buildRows(runs: RunListEntry[], groupByExperiment: boolean, collapsed: ReadonlySet<number>): Row[] {
  if (!groupByExperiment) return runs.map((run) => ({ kind: 'run', run }));
  const groups = new Map<number, RunListEntry[]>();
  for (const run of runs) {
    const list = groups.get(run.experimentId);
    if (list) list.push(run);
    else groups.set(run.experimentId, [run]);
  }
  const rows: Row[] = [];
  for (const [experimentId, list] of [...groups].sort((a, b) => b[0] - a[0])) {
    rows.push({ kind: 'group', experimentId, name: list[0].experimentName, count: list.length });
    if (!collapsed.has(experimentId)) for (const run of list) rows.push({ kind: 'run', run });
  }
  return rows;
}
