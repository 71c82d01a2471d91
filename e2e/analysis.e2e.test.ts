import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RunningServer } from '../src-main/server/server';
import { openBrowserSession, openWindow, type BrowserSession } from './browser';
import {
  betas,
  collapsedRunWarns,
  openRunFromThePlane,
  groupedCompare,
  groupedReport,
  groupedRunsTable,
  nllFromTheWindow,
  parallelCoordinatesBrush,
  queueBetaSeedSweep,
  rateDistortionPlane,
  seeds,
  waitAllFinished,
} from './analysis-flow';

describe('browser mode: a β × seed sweep grouped over seeds, the rate–distortion plane, NLL from the window', () => {
  let session: BrowserSession;
  let server: RunningServer;
  let dir: string;
  let page: Page;

  beforeAll(async () => {
    session = await openBrowserSession({ name: 'analysis' });
    ({ server, page, dir } = session);
    await openWindow(session);
  });

  afterAll(() => session?.close());

  it('trains the sweep and groups it by β: mean ± std and n in the runs table and in Compare', async () => {
    await queueBetaSeedSweep(page, 'e2e β × seed');
    await waitAllFinished(page, server.token, betas.length * seeds.length, 300_000);
    await groupedRunsTable(page);
    await groupedCompare(page);
  });

  it('orders the groups along the rate–distortion trade-off', async () => {
    const points = await rateDistortionPlane(page);
    console.log(
      `rate–distortion (β, R, D): ${points.map((p) => `${p.beta} ${p.rate.toFixed(2)} ${p.distortion.toFixed(2)}`).join(' | ')}`,
    );
    // Distortion falls as β falls, rate rises: compared end to end and step by step.
    for (let i = 1; i < points.length; i++) {
      expect(points[i].distortion).toBeGreaterThan(points[i - 1].distortion);
      expect(points[i].rate).toBeLessThan(points[i - 1].rate);
    }
  });

  it('brushes the runs table from the parallel coordinates', async () => {
    await parallelCoordinatesBrush(page);
  });

  it('computes the test NLL from the window with a progress bar', async () => {
    const nll = await nllFromTheWindow(page);
    console.log(`NLL from the window (k = 1000, 100 test examples): ${nll}`);
  });

  it('exports the grouped report: mean ± std per group, the plane as SVG and as PDF vector graphics', async () => {
    const { html, pdfText } = await groupedReport(page, dir, server.token);
    expect(html).toContain('Runs grouped by β');
    expect(html.match(/±/g)?.length).toBeGreaterThanOrEqual(betas.length * 5);
    expect(html).toContain('Rate–distortion plane');
    expect(pdfText).toContain('Runs grouped by beta');
    expect(pdfText).toContain('Rate-distortion plane');
  });

  it('opens a run from its point on the plane, and warns of a collapsed posterior', async () => {
    await openRunFromThePlane(page, server.token);
    await collapsedRunWarns(page, server.token);
  });
});
