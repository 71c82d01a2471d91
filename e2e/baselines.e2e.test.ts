import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RunningServer } from '../src-main/server/server';
import { openBrowserSession, openWindow, type BrowserSession } from './browser';
import {
  compareWithBaselines,
  latentViewsOfPca,
  queueFromTheForm,
  reportWithBaselines,
  runIds,
  runsTableWithBaselines,
  sweepBetas,
  type BaselineRunIds,
} from './baselines-flow';
import { waitAllFinished } from './analysis-flow';

describe('browser mode: a PCA baseline and an IWAE (k = 5) run beside a β sweep', () => {
  let session: BrowserSession;
  let server: RunningServer;
  let dir: string;
  let page: Page;
  let ids: BaselineRunIds;

  beforeAll(async () => {
    session = await openBrowserSession({ name: 'baselines' });
    ({ server, page, dir } = session);
    await openWindow(session);
  });

  afterAll(() => session?.close());

  it('queues all three from the form and trains or fits them', async () => {
    await queueFromTheForm(page);
    await waitAllFinished(page, server.token, sweepBetas.length + 2, 300_000);
    ids = await runIds(page, server.token);
  });

  it('lists the kinds in the runs table, n/a for the baseline, the IWAE bound for k = 5', async () => {
    await runsTableWithBaselines(page, ids);
  });

  it('draws the IWAE curve and the baseline as a reference line in Compare', async () => {
    await compareWithBaselines(page, ids);
  });

  it('opens the latent views on the PCA run: scatter and traversals along the components', async () => {
    await latentViewsOfPca(page, ids);
  });

  it('exports a report that names the kinds and prints n/a for the baseline', async () => {
    const pdfText = await reportWithBaselines(page, dir, server.token);
    expect(pdfText).toContain('PCA');
    expect(pdfText).toContain('IWAE L_k');
  });
});
