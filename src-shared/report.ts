import { z } from 'zod';
import { method } from './contract';

/** The report-export part of the API contract: spread into the table in api.ts. */

const runId = z.number().int().min(1);

export const reportSelectionSchema = z.union([
  z.object({ runIds: z.array(runId).min(1, 'the selection is empty: choose at least one run').max(200) }).strict(),
  z.object({ experimentId: z.number().int().min(1) }).strict(),
]);

/** One rendered file; the renderer saves it. */
export interface ReportFile {
  name: 'report.html' | 'report.pdf' | 'metrics.csv';
  mime: string;
  content: Uint8Array;
}

export interface ReportExport {
  title: string;
  runCount: number;
  files: ReportFile[];
}

/** What saving a report into a folder the researcher picks (desktop app) really did. */
export type ReportSaved =
  { saved: true; folder: string; files: string[]; runCount: number } | { saved: false; reason: string };

export const reportApi = {
  /** Renders report.html, report.pdf and metrics.csv of the selected runs or of an experiment. */
  exportReport: method<ReportExport>()(reportSelectionSchema),
  /**
   * Desktop app: asks once for a folder and writes the three files there from main. Cancelling writes nothing and
   * says so. Browser mode has no folder dialog on the server: it downloads through exportReport.
   */
  saveReport: method<ReportSaved>()(reportSelectionSchema),
} as const;
