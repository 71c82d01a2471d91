import { niceStep } from './axis';
/**
 * The rate–distortion plane (Alemi et al. 2018, "Fixing a Broken ELBO", fig. 1): each run (or group of runs) as a
 * point at rate R = KL(q(z|x) ‖ p(z)) and distortion D = −E_q[log p(x|z)], both in nats per example. The ELBO is
 * −(R + D), so the lines R + D = const are lines of equal ELBO; β trades one for the other along them.
 * Laid out once here in pixels, drawn by the compare view (SVG) and by the reports (SVG in the HTML, paths in the PDF).
 */

export interface RdPointInput {
  /** A run id, or a group's id. */
  id: string;
  label: string;
  color: string;
  rate: number;
  distortion: number;
  /** ± one sample std over a group's runs; absent for a single run. */
  rateStd?: number;
  distortionStd?: number;
  /** The per-epoch path that led here, in epoch order. */
  trajectory: { epoch: number; rate: number; distortion: number }[];
  /** Runs behind the point: 1 for a run, n for a group. */
  n: number;
}

/**
 * A baseline (PCA, a linear autoencoder) has a distortion but no rate: no KL term, no q(z|x). It is drawn as a
 * horizontal reference line at its distortion across the plane, not as a point at R = 0, which would claim a rate.
 */
export interface RdReference {
  id: string;
  label: string;
  color: string;
  distortion: number;
}

export interface RdTick {
  value: number;
  px: number;
  label: string;
}

export interface RdLayout {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  xTicks: RdTick[];
  yTicks: RdTick[];
  /** Lines of constant R + D (constant ELBO = −value), clipped to the plot. */
  isoLines: { value: number; x1: number; y1: number; x2: number; y2: number; label: string }[];
  /** Baselines' distortions as horizontal lines, with the label's position at the right end. */
  references: { id: string; label: string; color: string; distortion: number; y: number }[];
  points: {
    id: string;
    label: string;
    color: string;
    n: number;
    x: number;
    y: number;
    rate: number;
    distortion: number;
    /** Half-widths of the ± std error bars in pixels (0 without). */
    dx: number;
    dy: number;
    trajectory: [number, number][];
    /** Where the label's baseline starts: beside the point, moved down past labels it would overlap. */
    labelX: number;
    labelY: number;
  }[];
}

/** Greedy placement: each label beside its point, stepped down until it clears the labels placed before it. */
function placeLabels(points: { x: number; y: number; label: string }[], maxX = Infinity): { x: number; y: number }[] {
  const boxes: { x1: number; x2: number; y1: number; y2: number }[] = [];
  const placed = points.map(() => ({ x: 0, y: 0 }));
  const order = points.map((_, i) => i).sort((a, b) => points[a].y - points[b].y || points[a].x - points[b].x);
  for (const i of order) {
    const p = points[i];
    const w = p.label.length * 6.4;
    // Beside the point, or on its left where the label would run off the figure's right edge.
    const x = p.x + 8 + w > maxX && p.x - 8 - w >= 0 ? p.x - 8 - w : p.x + 8;
    let y = p.y - 7;
    for (let step = 0; step < 40; step++) {
      const box = { x1: x, x2: x + w, y1: y - 11, y2: y + 2 };
      if (!boxes.some((b) => b.x1 < box.x2 && box.x1 < b.x2 && b.y1 < box.y2 && box.y1 < b.y2)) break;
      y += 13;
    }
    boxes.push({ x1: x, x2: x + w, y1: y - 11, y2: y + 2 });
    placed[i] = { x, y };
  }
  return placed;
}

export function formatRdTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(0);
  return Number(value.toPrecision(4)).toString();
}

function ticks(min: number, max: number, step: number, scale: (v: number) => number): RdTick[] {
  const out: RdTick[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
    const value = Math.abs(v) < step * 1e-9 ? 0 : v;
    out.push({ value, px: scale(value), label: formatRdTick(value) });
  }
  return out;
}

/**
 * Axes cover every point, its error bar and its trajectory (rate from 0: a collapsed run sits on the D axis), each
 * padded to nice ticks. Non-finite values (a diverged epoch) are left out of paths and ranges.
 */
export function layoutRateDistortion(options: {
  points: RdPointInput[];
  width: number;
  height: number;
  /** Iso-ELBO lines wanted across the plot (about). */
  isoLineCount?: number;
  references?: RdReference[];
}): RdLayout {
  const { width, height } = options;
  const plot = { left: 58, top: 14, right: width - 14, bottom: height - 40 };
  const ok = (r: number, d: number): boolean => Number.isFinite(r) && Number.isFinite(d);
  const points = options.points.filter((p) => ok(p.rate, p.distortion));
  const rates: number[] = [0];
  const distortions: number[] = [];
  for (const p of points) {
    rates.push(p.rate + (p.rateStd ?? 0), p.rate - (p.rateStd ?? 0));
    distortions.push(p.distortion + (p.distortionStd ?? 0), p.distortion - (p.distortionStd ?? 0));
    for (const t of p.trajectory) {
      if (ok(t.rate, t.distortion)) {
        rates.push(t.rate);
        distortions.push(t.distortion);
      }
    }
  }
  const references = (options.references ?? []).filter((r) => Number.isFinite(r.distortion));
  for (const r of references) distortions.push(r.distortion);
  let [xMin, xMax] = [Math.max(0, Math.min(...rates)), Math.max(...rates)];
  let [yMin, yMax] = distortions.length > 0 ? [Math.min(...distortions), Math.max(...distortions)] : [0, 1];
  if (xMax - xMin < 1e-9) xMax = xMin + 1;
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 1, yMax + 1];
  // A reference line on the frame would hide in it: give the distortion axis a margin when there are any.
  if (references.length > 0) [yMin, yMax] = [yMin - 0.04 * (yMax - yMin), yMax + 0.04 * (yMax - yMin)];
  const xStep = niceStep(xMax - xMin, 6);
  const yStep = niceStep(yMax - yMin, 5);
  xMin = Math.floor(xMin / xStep) * xStep;
  xMax = Math.ceil(xMax / xStep) * xStep;
  yMin = Math.floor(yMin / yStep) * yStep;
  yMax = Math.ceil(yMax / yStep) * yStep;
  const sx = (r: number): number => plot.left + ((r - xMin) / (xMax - xMin)) * (plot.right - plot.left);
  const sy = (d: number): number => plot.bottom - ((d - yMin) / (yMax - yMin)) * (plot.bottom - plot.top);

  // R + D runs from xMin + yMin (bottom left) to xMax + yMax (top right) across the plot.
  const lo = xMin + yMin;
  const hi = xMax + yMax;
  const isoStep = niceStep(hi - lo, options.isoLineCount ?? 6);
  const isoLines: RdLayout['isoLines'] = [];
  for (let c = Math.ceil(lo / isoStep) * isoStep; c < hi; c += isoStep) {
    if (c <= lo) continue;
    // D = c − R, clipped to the rectangle: enter at the larger of (xMin, c − yMax), leave at the smaller of (xMax, c − yMin).
    const r1 = Math.max(xMin, c - yMax);
    const r2 = Math.min(xMax, c - yMin);
    if (r2 - r1 <= 1e-9) continue;
    isoLines.push({
      value: c,
      x1: sx(r1),
      y1: sy(c - r1),
      x2: sx(r2),
      y2: sy(c - r2),
      label: `ELBO ${formatRdTick(-c).replace(/^-/, '−')}`,
    });
  }

  const labels = placeLabels(
    points.map((p) => ({ x: sx(p.rate), y: sy(p.distortion), label: p.label })),
    width - 2,
  );
  return {
    width,
    height,
    plot,
    xTicks: ticks(xMin, xMax, xStep, sx),
    yTicks: ticks(yMin, yMax, yStep, sy),
    isoLines,
    references: references.map((r) => ({ ...r, y: sy(r.distortion) })),
    points: points.map((p, i) => ({
      id: p.id,
      label: p.label,
      color: p.color,
      n: p.n,
      x: sx(p.rate),
      y: sy(p.distortion),
      rate: p.rate,
      distortion: p.distortion,
      dx: p.rateStd && Number.isFinite(p.rateStd) ? sx(p.rate + p.rateStd) - sx(p.rate) : 0,
      dy:
        p.distortionStd && Number.isFinite(p.distortionStd) ? sy(p.distortion) - sy(p.distortion + p.distortionStd) : 0,
      trajectory: p.trajectory.filter((t) => ok(t.rate, t.distortion)).map((t) => [sx(t.rate), sy(t.distortion)]),
      labelX: labels[i].x,
      labelY: labels[i].y,
    })),
  };
}

const esc = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/** The plane as a standalone SVG (the HTML report); the compare view renders the same layout with Svelte. */
export function rateDistortionSvg(layout: RdLayout, title = 'Rate–distortion plane'): string {
  const { plot } = layout;
  const f = (v: number): string => v.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${layout.width} ${layout.height + 18}" width="${layout.width}" height="${layout.height + 18}" role="img" aria-label="${esc(title)}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<text x="${plot.left}" y="12" font-weight="bold" font-size="12">${esc(title)}</text>`,
    `<g transform="translate(0 18)">`,
  ];
  for (const t of layout.yTicks) {
    parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${f(t.px)}" y2="${f(t.px)}" stroke="#eee"/>`);
    parts.push(`<text x="${plot.left - 6}" y="${f(t.px + 4)}" text-anchor="end" fill="#444">${esc(t.label)}</text>`);
  }
  for (const t of layout.xTicks)
    parts.push(`<text x="${f(t.px)}" y="${plot.bottom + 15}" text-anchor="middle" fill="#444">${esc(t.label)}</text>`);
  for (const l of layout.isoLines) {
    parts.push(
      `<line x1="${f(l.x1)}" y1="${f(l.y1)}" x2="${f(l.x2)}" y2="${f(l.y2)}" stroke="#b9b9b9" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${f(l.x2 - 3)}" y="${f(l.y2 + 11)}" text-anchor="end" fill="#999" font-size="9">${esc(l.label)}</text>`,
    );
  }
  parts.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#999"/>`,
  );
  parts.push(
    `<text x="${(plot.left + plot.right) / 2}" y="${layout.height - 6}" text-anchor="middle">rate R = KL (nats per example)</text>`,
  );
  parts.push(
    `<text transform="translate(13 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">distortion D = −log p(x|z) (nats)</text>`,
  );
  for (const r of layout.references) {
    parts.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${f(r.y)}" y2="${f(r.y)}" stroke="${r.color}" stroke-dasharray="8 3 2 3" stroke-width="1.3"/>`,
    );
    parts.push(
      `<text x="${plot.right - 4}" y="${f(r.y - 4)}" text-anchor="end" fill="${r.color}">${esc(r.label)}</text>`,
    );
  }
  for (const p of layout.points) {
    if (p.trajectory.length > 1) {
      const d = p.trajectory.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${f(x)} ${f(y)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${p.color}" stroke-opacity="0.45" stroke-width="1.2"/>`);
    }
    if (p.dx > 0)
      parts.push(
        `<line x1="${f(p.x - p.dx)}" x2="${f(p.x + p.dx)}" y1="${f(p.y)}" y2="${f(p.y)}" stroke="${p.color}"/>`,
      );
    if (p.dy > 0)
      parts.push(
        `<line x1="${f(p.x)}" x2="${f(p.x)}" y1="${f(p.y - p.dy)}" y2="${f(p.y + p.dy)}" stroke="${p.color}"/>`,
      );
    parts.push(`<circle cx="${f(p.x)}" cy="${f(p.y)}" r="4.5" fill="${p.color}" stroke="#fff"/>`);
    parts.push(`<text x="${f(p.labelX)}" y="${f(p.labelY)}" fill="#222">${esc(p.label)}</text>`);
  }
  parts.push('</g></svg>');
  return parts.join('');
}
