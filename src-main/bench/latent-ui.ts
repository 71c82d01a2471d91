import type { Page } from 'playwright-core';

/**
 * The latent views' budgets measured in the browser, end to end (issue 4): from a slider's input event to the
 * explorer's canvas holding the new pixels (request over the transport, decode in the latent process, base64,
 * putImageData), and from asking for a 30×30 manifold to its canvas drawn. Needs the workbench served with the
 * latent view in its navigation (#/latent) and a run with a checkpoint.
 */

export interface LatentUiBench {
  /** 95th percentile over `sliderUpdates` successive slider moves, each waited for. */
  sliderToPixelsP95Ms: number;
  sliderToPixelsMedianMs: number;
  /** Median over 5 requests of a 30×30 manifold, from the input to the drawn canvas. */
  manifold30DrawnMs: number;
}

/** The page stays on #/latent afterwards. */
export async function benchLatentInBrowser(
  page: Page,
  opts: { url: string; runId: number; sliderUpdates?: number },
): Promise<LatentUiBench> {
  const base = opts.url.replace(/#.*$/, '');
  await page.goto(`${base}#/latent`);
  await page.locator('[data-testid="latent-run"]').waitFor();
  await page.locator('[data-testid="latent-run"]').selectOption(String(opts.runId));
  await page.locator('[data-latent-tab="explorer"]').click();
  await page.locator('[data-testid="explorer-image"]').waitFor();
  await page.locator('[data-testid="latent-slider-0"]').waitFor();

  const slider = await page.evaluate(async (updates) => {
    type El = { dataset: Record<string, string | undefined>; value: string; dispatchEvent(e: unknown): boolean };
    const doc = (globalThis as unknown as { document: { querySelector(s: string): El | null } }).document;
    const EventCtor = (globalThis as unknown as { Event: new (type: string, init: { bubbles: boolean }) => unknown })
      .Event;
    type Observer = {
      observe(target: El, options: { attributes: boolean; attributeFilter: string[] }): void;
      disconnect(): void;
    };
    const ObserverCtor = (globalThis as unknown as { MutationObserver: new (callback: () => void) => Observer })
      .MutationObserver;
    const canvas = doc.querySelector('[data-testid="explorer-image"]')!;
    const input = doc.querySelector('[data-testid="latent-slider-0"]')!;
    const times: number[] = [];
    for (let i = 0; i < updates; i++) {
      const before = canvas.dataset.drawn;
      input.value = String(-3 + (6 * (i % 50)) / 49 + (i % 2) * 0.01);
      const start = performance.now();
      input.dispatchEvent(new EventCtor('input', { bubbles: true }));
      // A MutationObserver fires as soon as the canvas records its redraw; timers would add their 4 ms clamp.
      await new Promise<void>((resolve) => {
        const observer = new ObserverCtor(() => {
          if (canvas.dataset.drawn === before) return;
          observer.disconnect();
          resolve();
        });
        observer.observe(canvas, { attributes: true, attributeFilter: ['data-drawn'] });
      });
      times.push(performance.now() - start);
    }
    return times;
  }, opts.sliderUpdates ?? 200);

  await page.locator('[data-latent-tab="manifold"]').click();
  await page.locator('[data-testid="manifold-canvas"]').waitFor();
  const manifold = await page.evaluate(async () => {
    type El = {
      dataset: Record<string, string | undefined>;
      value: string;
      width: number;
      dispatchEvent(e: unknown): boolean;
    };
    const doc = (globalThis as unknown as { document: { querySelector(s: string): El | null } }).document;
    const EventCtor = (globalThis as unknown as { Event: new (type: string, init: { bubbles: boolean }) => unknown })
      .Event;
    type Observer = {
      observe(target: El, options: { attributes: boolean; attributeFilter: string[] }): void;
      disconnect(): void;
    };
    const ObserverCtor = (globalThis as unknown as { MutationObserver: new (callback: () => void) => Observer })
      .MutationObserver;
    const n = doc.querySelector('[data-testid="manifold-n"]')!;
    const times: number[] = [];
    // Alternate 29 and 30 so every request is a fresh decode; time only the 30×30 ones.
    for (let i = 0; i < 10; i++) {
      const size = i % 2 === 0 ? 29 : 30;
      const canvas = doc.querySelector('[data-testid="manifold-canvas"]')!;
      const before = canvas.dataset.drawn;
      n.value = String(size);
      const start = performance.now();
      n.dispatchEvent(new EventCtor('input', { bubbles: true }));
      await new Promise<void>((resolve) => {
        const observer = new ObserverCtor(() => {
          if (canvas.dataset.drawn === before || canvas.width % size !== 0 || canvas.width / size >= 100) return;
          observer.disconnect();
          resolve();
        });
        observer.observe(canvas, { attributes: true, attributeFilter: ['data-drawn'] });
      });
      if (size === 30) times.push(performance.now() - start);
    }
    return times;
  });

  const sorted = [...slider].sort((a, b) => a - b);
  const at = (xs: number[], q: number): number => xs[Math.min(xs.length - 1, Math.floor(q * (xs.length - 1) + 0.5))];
  return {
    sliderToPixelsP95Ms: at(sorted, 0.95),
    sliderToPixelsMedianMs: at(sorted, 0.5),
    manifold30DrawnMs: at(
      [...manifold].sort((a, b) => a - b),
      0.5,
    ),
  };
}
