import { Worker } from 'node:worker_threads';
import { builtEntry } from '../child/fork';
import type { Report } from './document';
import { ReportError, type ReportFiles } from './report';

type Reply = { ok: true; files: { html: string; pdf: Uint8Array; csv: string } } | { ok: false; message: string };

/**
 * Renders a report in a worker thread: a PDF of hundreds of runs takes seconds of pdfkit and PNG encoding, which on
 * the main process's event loop would freeze the window (and IPC) until it is done. The files are the ones
 * renderReport makes in this thread. The worker lives for one report.
 */
export function renderReportOffThread(
  report: Report,
  workerPath: string = builtEntry('report-worker'),
): Promise<ReportFiles> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerPath);
    let settled = false;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      action();
      void worker.terminate();
    };
    worker.once('message', (reply: Reply) =>
      settle(() => {
        if (!reply.ok) return reject(new ReportError(`the report could not be rendered: ${reply.message}`));
        const { pdf } = reply.files;
        resolve({ ...reply.files, pdf: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength) });
      }),
    );
    worker.once('error', (error) =>
      settle(() => reject(new ReportError(`the report worker failed: ${error.name}: ${error.message}`))),
    );
    worker.once('exit', (code) =>
      settle(() => reject(new ReportError(`the report worker exited (code ${code}) before the report was rendered`))),
    );
    worker.postMessage(report);
  });
}
