import type { Page } from 'playwright-core';

/**
 * The latent views' budgets measured in the browser, end to end (issue 4): from a slider's input event to the
 * explorer's canvas holding the new pixels (request over the transport, decode in the latent process,
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

  const slider = await timeRedraws(
    page,
    Array.from({ length: opts.sliderUpdates ?? 200 }, (_, i) => ({
      input: '[data-testid="latent-slider-0"]',
      value: String(-3 + (6 * (i % 50)) / 49 + (i % 2) * 0.01),
      canvas: '[data-testid="explorer-image"]',
    })),
  );

  await page.locator('[data-latent-tab="manifold"]').click();
  await page.locator('[data-testid="manifold-canvas"]').waitFor();
  // Alternate 29 and 30 so every request is a fresh decode; time only the 30×30 ones.
  const sizes = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 29 : 30));
  const manifoldTimes = await timeRedraws(
    page,
    sizes.map((size) => ({
      input: '[data-testid="manifold-n"]',
      value: String(size),
      canvas: '[data-testid="manifold-canvas"]',
      columns: size,
    })),
  );
  const manifold = manifoldTimes.filter((_, i) => sizes[i] === 30);

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

interface RedrawStep {
  /** The input whose value is set, then its input event fired. */
  input: string;
  value: string;
  /** The canvas that records each redraw in data-drawn. */
  canvas: string;
  /** The redraw must hold this many tiles per row (a manifold of that size), each under 100 pixels wide. */
  columns?: number;
}

/** In the page: for each step, the time from the input event to the canvas's redraw. */
function timeRedraws(page: Page, steps: RedrawStep[]): Promise<number[]> {
  return page.evaluate(async (steps) => {
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
    const times: number[] = [];
    for (const step of steps) {
      const canvas = doc.querySelector(step.canvas)!;
      const input = doc.querySelector(step.input)!;
      const before = canvas.dataset.drawn;
      input.value = step.value;
      const start = performance.now();
      input.dispatchEvent(new EventCtor('input', { bubbles: true }));
      // A MutationObserver fires as soon as the canvas records its redraw; timers would add their 4 ms clamp.
      await new Promise<void>((resolve) => {
        const observer = new ObserverCtor(() => {
          if (canvas.dataset.drawn === before) return;
          const n = step.columns;
          if (n !== undefined && (canvas.width % n !== 0 || canvas.width / n >= 100)) return;
          observer.disconnect();
          resolve();
        });
        observer.observe(canvas, { attributes: true, attributeFilter: ['data-drawn'] });
      });
      times.push(performance.now() - start);
    }
    return times;
  }, steps);
}
