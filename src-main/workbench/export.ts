import type { Database } from 'better-sqlite3';
import { ApiError } from '../../src-shared/api';
import { metricsCsv } from '../reports/csv';
import { getEpochMetrics } from '../store/metrics';
import { listRuns } from '../store/runs';

/**
 * The metrics of the chosen runs as CSV, one row per run, epoch and split (the CLI's `export`). Refuses run ids
 * that name nothing, and an empty selection.
 */
export function exportMetricsCsv(
  db: Database,
  selection: { runIds?: number[]; experimentId?: number },
): { csv: string; runCount: number; rowCount: number } {
  const runs = listRuns(db, { ids: selection.runIds, experimentId: selection.experimentId });
  const missing = (selection.runIds ?? []).filter((id) => !runs.some((r) => r.id === id));
  if (missing.length > 0) throw new ApiError('NotFound', `export: no run ${missing.join(', ')} in this database`);
  if (runs.length === 0) throw new ApiError('NotFound', 'export: no runs to export');
  const metrics = getEpochMetrics(
    db,
    runs.map((r) => r.id),
  );
  return { csv: metricsCsv(runs, metrics), runCount: runs.length, rowCount: metrics.length };
}
