import type { Database } from 'better-sqlite3';
import { ApiError } from '../../src-shared/api';
import type { ReportExport, ReportFile } from '../../src-shared/report';
import type { LatentService } from '../latent/service';
import {
  buildReport,
  manifoldDecoder,
  renderReport,
  ReportError,
  REPORT_FILE_NAMES,
  type ReportSelection,
} from '../reports/report';

/**
 * Report export for both transports: rendered in memory (nothing is written on the server), returned as files the
 * renderer saves — a download in browser mode, the desktop app's save dialog in Electron. Manifolds are decoded by
 * the latent process, so the main event loop never runs TF.js.
 */
export function createReportHandlers(ctx: { db: Database; latent: LatentService; version: string }) {
  const decodeManifold = manifoldDecoder((input) => ctx.latent.manifold(input));
  return {
    exportReport: async (selection: ReportSelection): Promise<ReportExport> => {
      let report;
      try {
        report = await buildReport(ctx.db, selection, { appVersion: ctx.version, decodeManifold });
      } catch (error) {
        if (error instanceof ReportError)
          throw new ApiError(
            /no run|does not exist|no runs/.test(error.message) ? 'NotFound' : 'ValidationError',
            error.message,
          );
        throw error;
      }
      const files = await renderReport(report);
      const file = (name: ReportFile['name'], mime: string, content: string | Buffer): ReportFile => {
        const buffer = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
        return { name, mime, base64: buffer.toString('base64'), bytes: buffer.length };
      };
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
  };
}
