import type { Database } from 'better-sqlite3';
import { ApiError } from '../../src-shared/api';
import type { ReportExport, ReportFile, ReportSaved } from '../../src-shared/report';
import type { LatentService } from '../latent/service';
import {
  buildReport,
  manifoldDecoder,
  REPORT_FILE_NAMES,
  writeReportFiles,
  type ReportFiles,
  type ReportSelection,
} from '../reports/report';
import type { Report } from '../reports/document';
import { renderReportOffThread } from '../reports/render-off-thread';

export interface ReportContext {
  db: Database;
  latent: LatentService;
  version: string;
  /** Asks the researcher for a folder (the desktop app's dialog); null when cancelled. Absent in browser mode. */
  chooseFolder?: (title: string) => Promise<string | null>;
}

/**
 * Builds and renders the report of a selection. Manifolds are decoded by the latent service and the files rendered in
 * a worker thread, never on this loop.
 */
async function renderSelection(
  ctx: ReportContext,
  selection: ReportSelection,
  title?: string,
): Promise<{ report: Report; files: ReportFiles }> {
  const decodeManifold = manifoldDecoder((input) => ctx.latent.request('latentManifold', input));
  const report = await buildReport(ctx.db, selection, { appVersion: ctx.version, title, decodeManifold });
  return { report, files: await renderReportOffThread(report) };
}

/**
 * Report export for both transports: rendered in memory (nothing is written on the server), returned as files the
 * renderer saves — a download in browser mode, the desktop app's save dialog in Electron.
 */
export function createReportHandlers(ctx: ReportContext) {
  return {
    exportReport: async (selection: ReportSelection): Promise<ReportExport> => {
      const { report, files } = await renderSelection(ctx, selection);
      const file = (name: ReportFile['name'], mime: string, content: string | Uint8Array): ReportFile => ({
        name,
        mime,
        content: typeof content === 'string' ? new TextEncoder().encode(content) : content,
      });
      return {
        title: report.title,
        runCount: report.runs.length,
        files: [
          file(REPORT_FILE_NAMES.html, 'text/html', files.html),
          file(REPORT_FILE_NAMES.pdf, 'application/pdf', files.pdf),
          file(REPORT_FILE_NAMES.csv, 'text/csv', files.csv),
        ],
      };
    },
    saveReport: async (selection: ReportSelection): Promise<ReportSaved> => {
      if (!ctx.chooseFolder) {
        throw new ApiError(
          'StateError',
          'saveReport needs the desktop app’s folder dialog; in the browser, exportReport downloads the files',
        );
      }
      // Asked first: a cancel costs no rendering, and nothing is written.
      const folder = await ctx.chooseFolder('Choose a folder for report.html, report.pdf and metrics.csv');
      if (folder === null) return { saved: false, reason: 'cancelled: no folder was chosen, nothing was written' };
      const { report, files } = await renderSelection(ctx, selection);
      return { saved: true, folder, files: writeReportFiles(folder, files), runCount: report.runs.length };
    },
  };
}

/** The CLI's report: the same files as exportReport, written into `dir` (created if missing). */
export async function writeReport(
  ctx: ReportContext,
  selection: ReportSelection,
  dir: string,
  title?: string,
): Promise<{ written: string[]; runCount: number }> {
  const { report, files } = await renderSelection(ctx, selection, title);
  return { written: writeReportFiles(dir, files), runCount: report.runs.length };
}
