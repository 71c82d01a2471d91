import { niceStep } from '../../src-shared/axis';
import { formatTick } from './format';

/**
 * A line chart laid out once, drawn twice: as SVG in the HTML report and as vector paths in the PDF, so both
 * show the same curves, ticks and legend.
 */
export interface ChartSeries {
  label: string;
  color: string;
  dashed: boolean;
  points: { x: number; y: number }[];
}

export interface ChartLayout {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  xTicks: { value: number; px: number; label: string }[];
  yTicks: { value: number; px: number; label: string }[];
  /** Shaded bands (a group's mean ± std) as closed polygons in pixels, drawn under the curves. */
  bands: { color: string; polygon: [number, number][] }[];
  /** Each series as pixel coordinates; non-finite values split a curve. */
  paths: { label: string; color: string; dashed: boolean; segments: [number, number][][] }[];
  title: string;
  xLabel: string;
  yLabel: string;
}

export function layoutChart(options: {
  series: ChartSeries[];
  width: number;
  height: number;
  title: string;
  xLabel: string;
  yLabel: string;
  /** Bands between lo and hi at each x (finite values only). */
  bands?: { color: string; points: { x: number; lo: number; hi: number }[] }[];
}): ChartLayout {
  const { series, width, height } = options;
  const bandPoints = (options.bands ?? []).map((b) => ({
    color: b.color,
    points: b.points.filter((p) => [p.x, p.lo, p.hi].every(Number.isFinite)),
  }));
  const plot = { left: 58, top: 26, right: width - 12, bottom: height - 38 };
  const finite = [
    ...series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))),
    ...bandPoints.flatMap((b) =>
      b.points.flatMap((p) => [
        { x: p.x, y: p.lo },
        { x: p.x, y: p.hi },
      ]),
    ),
  ];
  let xMin = Math.min(...finite.map((p) => p.x));
  let xMax = Math.max(...finite.map((p) => p.x));
  let yMin = Math.min(...finite.map((p) => p.y));
  let yMax = Math.max(...finite.map((p) => p.y));
  if (finite.length === 0) [xMin, xMax, yMin, yMax] = [0, 1, 0, 1];
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  if (yMin === yMax) [yMin, yMax] = [yMin - 1, yMax + 1];
  const yStep = niceStep(yMax - yMin, 5);
  yMin = Math.floor(yMin / yStep) * yStep;
  yMax = Math.ceil(yMax / yStep) * yStep;
  const xStep = Math.max(1, Math.round(niceStep(xMax - xMin, 6)));
  const sx = (x: number): number => plot.left + ((x - xMin) / (xMax - xMin)) * (plot.right - plot.left);
  const sy = (y: number): number => plot.bottom - ((y - yMin) / (yMax - yMin)) * (plot.bottom - plot.top);
  const yTicks = [];
  for (let v = yMin; v <= yMax + yStep / 2; v += yStep) yTicks.push({ value: v, px: sy(v), label: formatTick(v) });
  const xTicks = [];
  for (let v = Math.ceil(xMin / xStep) * xStep; v <= xMax; v += xStep)
    xTicks.push({ value: v, px: sx(v), label: formatTick(v) });
  const paths = series.map((s) => {
    const segments: [number, number][][] = [];
    let current: [number, number][] = [];
    for (const p of s.points) {
      if (Number.isFinite(p.x) && Number.isFinite(p.y)) current.push([sx(p.x), sy(p.y)]);
      else if (current.length > 0) {
        segments.push(current);
        current = [];
      }
    }
    if (current.length > 0) segments.push(current);
    return { label: s.label, color: s.color, dashed: s.dashed, segments };
  });
  const bands = bandPoints
    .filter((b) => b.points.length > 1)
    .map((b) => ({
      color: b.color,
      polygon: [
        ...b.points.map((p): [number, number] => [sx(p.x), sy(p.hi)]),
        ...[...b.points].reverse().map((p): [number, number] => [sx(p.x), sy(p.lo)]),
      ],
    }));
  return {
    width,
    height,
    plot,
    xTicks,
    yTicks,
    bands,
    paths,
    title: options.title,
    xLabel: options.xLabel,
    yLabel: options.yLabel,
  };
}

const esc = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

export function chartSvg(layout: ChartLayout): string {
  const { plot } = layout;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" role="img" aria-label="${esc(layout.title)}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<text x="${plot.left}" y="16" font-weight="bold" font-size="12">${esc(layout.title)}</text>`,
  ];
  for (const t of layout.yTicks) {
    parts.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${t.px.toFixed(1)}" y2="${t.px.toFixed(1)}" stroke="#e3e3e3"/>`,
    );
    parts.push(
      `<text x="${plot.left - 6}" y="${(t.px + 4).toFixed(1)}" text-anchor="end" fill="#444">${esc(t.label)}</text>`,
    );
  }
  for (const t of layout.xTicks) {
    parts.push(
      `<text x="${t.px.toFixed(1)}" y="${plot.bottom + 15}" text-anchor="middle" fill="#444">${esc(t.label)}</text>`,
    );
  }
  parts.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#999"/>`,
  );
  parts.push(
    `<text x="${(plot.left + plot.right) / 2}" y="${layout.height - 6}" text-anchor="middle">${esc(layout.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(13 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(layout.yLabel)}</text>`,
  );
  for (const b of layout.bands) {
    const d = b.polygon.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`).join('');
    parts.push(`<path d="${d}Z" fill="${b.color}" fill-opacity="0.18" stroke="none"/>`);
  }
  for (const p of layout.paths) {
    for (const seg of p.segments) {
      const d = seg.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`).join('');
      parts.push(
        `<path d="${d}" fill="none" stroke="${p.color}" stroke-width="1.6"${p.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}
