import { parentPort } from 'node:worker_threads';
import type { Report } from './document';
import { renderReport } from './report';

/**
 * Entry of the report worker thread (out/main/report-worker.js): renders a report's HTML, PDF and CSV off the
 * event loop of the process that asked (Electron main, the browser-mode server), which stays free for the window.
 * One report per message; see render-off-thread.ts.
 */

if (!parentPort) throw new Error('report-worker.js runs as a worker thread (render-off-thread.ts starts it)');
const port = parentPort;
port.on('message', async (report: Report) => {
  try {
    // Copied, not transferred: a small PDF's Buffer lives in Node's shared pool, which cannot be moved.
    port.postMessage({ ok: true, files: await renderReport(report) });
  } catch (error) {
    port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
