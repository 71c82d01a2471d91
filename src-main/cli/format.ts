import { hasElbo, modelKindName, NOT_APPLICABLE } from '../../src-shared/baselines';
import { describeRunBackend, type RunSummary } from '../../src-shared/runs';
import type { RunListEntry } from '../../src-shared/run-list';
import type { RunProgress } from '../queue/types';
import { formatMetric as num } from '../reports/format';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatRunLine(run: RunSummary): string {
  const model = run.config.model === 'vae' ? run.config.architecture : modelKindName(run.config);
  const epochs = run.config.model === 'pca' ? 'fitted in closed form' : `${run.config.epochs} epochs`;
  return `run ${run.id}: ${run.name} (${run.config.dataset}, ${model}, ${epochs})`;
}

export function progressLine(p: RunProgress): string {
  const eta = p.etaSec === null ? '' : ` ETA ${formatDuration(p.etaSec)}`;
  // A closed-form fit (PCA) has no loss until it is done: say what it is doing rather than print NaN.
  if (!Number.isFinite(p.loss)) {
    return `run ${p.runId} fitting in closed form: step ${p.batch}/${p.batches} (${Math.round(p.examplesPerSec)} ex/s)${eta}`;
  }
  return `run ${p.runId} epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} recon ${num(p.recon)} KL ${num(p.kl)} loss ${num(p.loss)} (${Math.round(p.examplesPerSec)} ex/s)${eta}`;
}

export function runTable(runs: readonly RunListEntry[]): string {
  const header = ['id', 'experiment', 'name', 'status', 'epochs', 'test ELBO', 'recon', 'KL', 'AU', 'backend'];
  const rows = runs.map((r) => [
    String(r.id),
    r.experimentName,
    r.name,
    r.status,
    `${r.epochsDone}/${r.config.epochs}`,
    hasElbo(r.config) ? num(r.last.test?.elbo) : NOT_APPLICABLE,
    num(r.last.test?.recon),
    hasElbo(r.config) ? num(r.last.test?.kl) : NOT_APPLICABLE,
    r.activeUnits === null ? '—' : String(r.activeUnits),
    describeRunBackend(r) ?? '—',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i >= 5 && i <= 8 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
