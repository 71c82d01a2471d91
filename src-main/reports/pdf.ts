import PDFDocument from 'pdfkit';
import type { ConfigKey } from '../../src-shared/config';
import { describeRunBackend } from '../../src-shared/runs';
import type { ChartLayout } from './chart';
import { paramLabels, shownParameter } from '../../src-shared/parameters';
import { encodeGreyPng, tileImages } from './png';
import { FINAL_METRIC_HEADER, finalMetricCells, parameterColumns, runLegend, type Report } from './document';
import { GROUP_HEADER, groupedBy, groupRow, type ReportAnalysis } from './analysis';
import type { RdLayout } from '../../src-shared/rate-distortion';

/**
 * PDF's standard 14 fonts speak WinAnsi only: Greek letters and a few symbols are spelled out, so the PDF never
 * shows a missing glyph and its text stays searchable.
 */
export function pdfText(text: string): string {
  return text
    .replaceAll('β', 'beta')
    .replaceAll('α', 'alpha')
    .replaceAll('σ²', 'sigma^2')
    .replaceAll('σ', 'sigma')
    .replaceAll('‖', '||')
    .replaceAll('−', '-')
    .replaceAll('→', '->')
    .replaceAll('·', '-')
    .replaceAll('x̂', 'x_hat')
    .replaceAll('Σ', 'sum ')
    .replaceAll('μ', 'mu')
    .replaceAll('ε', 'eps')
    .replaceAll('⁻⁴', '^-4')
    .replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
}

/** Nearest-neighbour upscaling, so viewers that smooth images still show crisp pixels. */
function upscale(
  pixels: Uint8Array,
  width: number,
  height: number,
  k: number,
): { pixels: Uint8Array; width: number; height: number } {
  const out = new Uint8Array(width * k * height * k);
  for (let y = 0; y < height * k; y++) {
    for (let x = 0; x < width * k; x++) out[y * width * k + x] = pixels[Math.floor(y / k) * width + Math.floor(x / k)];
  }
  return { pixels: out, width: width * k, height: height * k };
}

function pngOf(grid: { pixels: Uint8Array; width: number; height: number }, k: number): Buffer {
  const big = upscale(grid.pixels, grid.width, grid.height, k);
  return encodeGreyPng(big.pixels, big.width, big.height);
}

function drawChart(doc: PDFKit.PDFDocument, layout: ChartLayout, x0: number, y0: number, scale: number): void {
  const X = (x: number): number => x0 + x * scale;
  const Y = (y: number): number => y0 + y * scale;
  const { plot } = layout;
  doc.save();
  doc
    .font('Helvetica-Bold')
    .fontSize(9)
    .fillColor('#000')
    .text(pdfText(layout.title), X(plot.left), Y(6), { lineBreak: false });
  drawTicks(doc, layout, X, Y, '#dddddd');
  doc
    .rect(X(plot.left), Y(plot.top), (plot.right - plot.left) * scale, (plot.bottom - plot.top) * scale)
    .lineWidth(0.6)
    .strokeColor('#999999')
    .stroke();
  doc.text(pdfText(layout.xLabel), X((plot.left + plot.right) / 2) - 30, Y(layout.height) - 10, {
    width: 60,
    align: 'center',
    lineBreak: false,
  });
  for (const b of layout.bands) {
    doc.moveTo(X(b.polygon[0][0]), Y(b.polygon[0][1]));
    for (const [x, y] of b.polygon.slice(1)) doc.lineTo(X(x), Y(y));
    doc.closePath().fillOpacity(0.18).fill(b.color).fillOpacity(1);
  }
  for (const p of layout.paths) {
    for (const seg of p.segments) {
      if (seg.length === 0) continue;
      doc.moveTo(X(seg[0][0]), Y(seg[0][1]));
      for (const [x, y] of seg.slice(1)) doc.lineTo(X(x), Y(y));
      if (p.dashed) doc.dash(3, { space: 2 });
      else doc.undash();
      doc.lineWidth(1.1).strokeColor(p.color).stroke();
    }
  }
  doc.undash();
  doc.restore();
}

function table(
  doc: PDFKit.PDFDocument,
  header: string[],
  rows: string[][],
  highlight: boolean[],
  x: number,
  widths: number[],
): void {
  const rowHeight = 13;
  const pageBottom = doc.page.height - doc.page.margins.bottom;
  const drawRow = (cells: string[], bold: boolean): void => {
    if (doc.y + rowHeight > pageBottom) doc.addPage();
    const y = doc.y;
    let cx = x;
    cells.forEach((cell, i) => {
      if (highlight[i]) doc.rect(cx, y - 2, widths[i], rowHeight).fill('#fff4cc');
      doc
        .fillColor('#111')
        .font(bold || highlight[i] ? 'Helvetica-Bold' : 'Helvetica')
        .fontSize(7.5);
      doc.text(pdfText(cell), cx + 2, y, {
        width: widths[i] - 4,
        height: rowHeight - 2,
        lineBreak: false,
        ellipsis: true,
      });
      cx += widths[i];
    });
    doc.y = y + rowHeight;
    doc.x = x;
  };
  drawRow(header, true);
  for (const row of rows) drawRow(row, false);
  doc.moveDown(0.5);
}

/** Horizontal grid lines with the y tick labels, and the x tick labels, of a laid-out plot. */
function drawTicks(
  doc: PDFKit.PDFDocument,
  layout: {
    plot: { left: number; right: number; bottom: number };
    xTicks: { px: number; label: string }[];
    yTicks: { px: number; label: string }[];
  },
  X: (x: number) => number,
  Y: (y: number) => number,
  gridColor: string,
): void {
  const { plot } = layout;
  doc.font('Helvetica').fontSize(7).fillColor('#444');
  for (const t of layout.yTicks) {
    doc.moveTo(X(plot.left), Y(t.px)).lineTo(X(plot.right), Y(t.px)).lineWidth(0.4).strokeColor(gridColor).stroke();
    doc.text(t.label, X(plot.left) - 44, Y(t.px) - 3, { width: 40, align: 'right', lineBreak: false });
  }
  for (const t of layout.xTicks)
    doc.text(t.label, X(t.px) - 15, Y(plot.bottom) + 4, { width: 30, align: 'center', lineBreak: false });
}

/** The rate–distortion plane as vector paths: the same layout as the HTML's SVG. */
function drawRateDistortion(doc: PDFKit.PDFDocument, layout: RdLayout, x0: number, y0: number, scale: number): void {
  const X = (x: number): number => x0 + x * scale;
  const Y = (y: number): number => y0 + y * scale;
  const { plot } = layout;
  doc.save();
  drawTicks(doc, layout, X, Y, '#e4e4e4');
  for (const l of layout.isoLines) {
    doc.moveTo(X(l.x1), Y(l.y1)).lineTo(X(l.x2), Y(l.y2)).dash(3, { space: 2 }).lineWidth(0.5).strokeColor('#aaaaaa');
    doc.stroke().undash();
    doc
      .fillColor('#999')
      .fontSize(6)
      .text(pdfText(l.label), X(l.x2) - 52, Y(l.y2) - 8, {
        width: 50,
        align: 'right',
        lineBreak: false,
      });
  }
  doc
    .rect(X(plot.left), Y(plot.top), (plot.right - plot.left) * scale, (plot.bottom - plot.top) * scale)
    .lineWidth(0.6)
    .strokeColor('#999999')
    .stroke();
  doc.fillColor('#333').fontSize(7.5);
  doc.text('rate R = KL (nats per example)', X((plot.left + plot.right) / 2) - 80, Y(layout.height) - 12, {
    width: 160,
    align: 'center',
    lineBreak: false,
  });
  doc.save();
  doc.rotate(-90, { origin: [X(8), Y((plot.top + plot.bottom) / 2)] });
  doc.text('distortion D = -log p(x|z) (nats)', X(8) - 80, Y((plot.top + plot.bottom) / 2) - 4, {
    width: 160,
    align: 'center',
    lineBreak: false,
  });
  doc.restore();
  // Baselines: no rate, a dash-dot line at their distortion.
  for (const r of layout.references) {
    doc
      .moveTo(X(plot.left), Y(r.y))
      .lineTo(X(plot.right), Y(r.y))
      .dash(5, { space: 2 })
      .lineWidth(0.9)
      .strokeColor(r.color);
    doc.stroke().undash();
    doc
      .fillColor(r.color)
      .fontSize(7)
      .text(pdfText(r.label), X(plot.right) - 152, Y(r.y) - 9, { width: 150, align: 'right', lineBreak: false });
  }
  for (const p of layout.points) {
    if (p.trajectory.length > 1) {
      doc.moveTo(X(p.trajectory[0][0]), Y(p.trajectory[0][1]));
      for (const [x, y] of p.trajectory.slice(1)) doc.lineTo(X(x), Y(y));
      doc.lineWidth(0.8).strokeOpacity(0.45).strokeColor(p.color).stroke().strokeOpacity(1);
    }
    if (p.dx > 0)
      doc
        .moveTo(X(p.x - p.dx), Y(p.y))
        .lineTo(X(p.x + p.dx), Y(p.y))
        .lineWidth(0.8)
        .stroke(p.color);
    if (p.dy > 0)
      doc
        .moveTo(X(p.x), Y(p.y - p.dy))
        .lineTo(X(p.x), Y(p.y + p.dy))
        .lineWidth(0.8)
        .stroke(p.color);
    doc.circle(X(p.x), Y(p.y), 3.2).fill(p.color);
    doc
      .fillColor('#111')
      .fontSize(7.5)
      .text(pdfText(p.label), X(p.labelX), Y(p.labelY) - 7, { lineBreak: false });
  }
  doc.restore();
}

/** Runs grouped over seeds (table and curves with ± std bands) and the rate–distortion plane. */
function drawAnalysis(doc: PDFKit.PDFDocument, analysis: ReportAnalysis, left: number, usable: number): void {
  const pageBottom = (): number => doc.page.height - doc.page.margins.bottom;
  if (analysis.groups) {
    if (doc.y + 80 > pageBottom()) doc.addPage();
    doc
      .font('Helvetica-Bold')
      .fontSize(11)
      .fillColor('#000')
      .text(
        pdfText(
          `Runs grouped by ${groupedBy(analysis)} (test split, last epoch; mean ± sample std over each group's runs)`,
        ),
        left,
      );
    doc.moveDown(0.2);
    table(
      doc,
      GROUP_HEADER,
      analysis.groups.map((g) => groupRow(g).map((c) => c.replaceAll('±', '+/-').replaceAll('—', '-'))),
      [],
      left,
      [130, 25, 80, 80, 80, 65, 70, 65, 60, 100],
    );
    const scale = Math.min(1, usable / (3 * 350));
    if (doc.y + 220 * scale + 20 > pageBottom()) doc.addPage();
    const top = doc.y + 4;
    analysis.groupCharts.forEach((chart, i) => drawChart(doc, chart, left + i * 350 * scale, top, scale));
    doc.y = top + 222 * scale + 8;
    doc.x = left;
  }
  const layout = analysis.rateDistortion;
  // Shrunk to fit the rest of the page when that keeps it legible; otherwise on a page of its own.
  let scale = Math.min(1, (pageBottom() - doc.y - 30) / layout.height);
  if (scale < 0.65) {
    doc.addPage();
    scale = 1;
  }
  doc
    .font('Helvetica-Bold')
    .fontSize(11)
    .fillColor('#000')
    .text(
      `Rate-distortion plane (Alemi et al. 2018): dashed lines of equal ELBO = -(R + D)${layout.references.length > 0 ? '; dash-dot: baselines, which have no rate, at their distortion' : ''}`,
      left,
    );
  const top = doc.y + 4;
  drawRateDistortion(doc, layout, left, top, scale);
  doc.y = top + layout.height * scale + 6;
  doc.x = left;
}

/** The same content as the HTML report, laid out for A4 landscape. */
export function reportPdf(report: Report): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: 36,
    // The report's own time, not pdfkit's clock: the same report gives the same bytes, wherever it is rendered.
    info: {
      Title: pdfText(report.title),
      Creator: `VAE Workbench ${report.appVersion}`,
      CreationDate: report.createdAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const left = doc.page.margins.left;
  const usable = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  const runs = report.runs.map((r) => r.run);
  const differing = new Set<ConfigKey>(report.differing);

  doc.font('Helvetica-Bold').fontSize(16).text(pdfText(report.title));
  doc.font('Helvetica').fontSize(9).fillColor('#555');
  doc.text(
    pdfText(
      `${report.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC - VAE Workbench ${report.appVersion} - backend: ${[...new Set(runs.map((r) => describeRunBackend(r) ?? 'not started'))].join(', ')} - dataset: ${[...new Set(runs.map((r) => r.config.dataset))].join(', ')} - ${runs.length} runs`,
    ),
  );
  doc.moveDown(0.6);

  const columns = parameterColumns(report.differing);
  doc.font('Helvetica-Bold').fontSize(11).fillColor('#000').text('Parameters');
  doc.moveDown(0.2);
  const header = ['run', 'name', ...columns.map((k) => paramLabels[k])];
  const rows = report.runs.map((r) => [
    String(r.run.id),
    r.run.name,
    ...columns.map((k) => shownParameter(k, r.run.config).replaceAll('—', '-')),
  ]);
  // Each column as wide as its widest cell (headers are bold), shrunk in proportion only if the page is too narrow.
  doc.fontSize(7.5);
  const natural = header.map(
    (h, i) =>
      Math.max(
        doc.font('Helvetica-Bold').widthOfString(pdfText(h)),
        ...rows.map((row) => doc.font('Helvetica').widthOfString(pdfText(row[i]))),
      ) + 10,
  );
  const total = natural.reduce((a, b) => a + b, 0);
  table(
    doc,
    header,
    rows,
    [false, false, ...columns.map((k) => differing.has(k))],
    left,
    natural.map((w) => (total > usable ? (w * usable) / total : w)),
  );

  doc
    .font('Helvetica-Bold')
    .fontSize(11)
    .fillColor('#000')
    .text('Final metrics (test split, nats per example; ELBO = -(recon + KL); NLL = -log p(x) by importance sampling)');
  doc.moveDown(0.2);
  table(
    doc,
    ['run', 'name', 'status', 'epochs', ...FINAL_METRIC_HEADER, 'backend'],
    report.runs.map(({ run, nll }) => [
      String(run.id),
      run.name,
      run.status,
      String(run.epochsDone),
      ...finalMetricCells(run, nll).map((c) => c.replaceAll('—', '-')),
      describeRunBackend(run) ?? '-',
    ]),
    [],
    left,
    [26, 90, 46, 32, 36, 42, 42, 34, 45, 42, 44, 140, 74, 47],
  );

  // Loss curves: three charts side by side, a second row for the IWAE bound and the squared error when recorded.
  const scale = Math.min(1, usable / (3 * 350));
  const chartRows = Math.ceil(report.charts.length / 3);
  const chartHeight = (222 * chartRows - 2) * scale + 30;
  if (doc.y + chartHeight + 20 > doc.page.height - doc.page.margins.bottom) doc.addPage();
  doc.font('Helvetica-Bold').fontSize(11).fillColor('#000').text('Loss curves', left);
  doc.font('Helvetica').fontSize(8).fillColor('#333');
  doc.text(
    pdfText(
      report.runs.map((r) => `run ${r.run.id}: ${runLegend(r.run, report.differing)}`).join('   ') +
        '   (solid: test, dashed: train)',
    ),
    left,
  );
  const chartsTop = doc.y + 4;
  report.charts.forEach((chart, i) =>
    drawChart(doc, chart, left + (i % 3) * 350 * scale, chartsTop + Math.floor(i / 3) * 222 * scale, scale),
  );
  let legendX = left;
  const legendY = chartsTop + 222 * chartRows * scale;
  for (const r of report.runs) {
    doc.rect(legendX, legendY + 1, 8, 8).fill(r.color);
    doc
      .fillColor('#111')
      .font('Helvetica')
      .fontSize(8)
      .text(pdfText(runLegend(r.run, report.differing)), legendX + 11, legendY, { lineBreak: false });
    legendX += Math.max(110, doc.widthOfString(pdfText(runLegend(r.run, report.differing))) + 24);
  }
  doc.y = legendY + 18;
  doc.x = left;
  drawAnalysis(doc, report.analysis, left, usable);

  for (const r of report.runs) {
    const imageHeight = r.images ? r.images.height * 2 * 3 + 40 : 20;
    if (doc.y + imageHeight + 40 > doc.page.height - doc.page.margins.bottom) doc.addPage();
    doc.moveDown(0.4);
    doc
      .font('Helvetica-Bold')
      .fontSize(10)
      .fillColor('#000')
      .text(pdfText(`Run ${r.run.id}: ${r.run.name}  (${runLegend(r.run, report.differing)})`), left);
    if (r.run.notes.trim() !== '')
      doc
        .font('Helvetica')
        .fontSize(8.5)
        .fillColor('#333')
        .text(pdfText(`Notes. ${r.run.notes}`), left, doc.y, { width: usable });
    if (r.run.error)
      doc
        .font('Helvetica')
        .fontSize(8.5)
        .fillColor('#a30000')
        .text(pdfText(`${r.run.status}: ${r.run.error}`), left, doc.y, { width: usable });
    const top = doc.y + 4;
    let x = left;
    let bottom = top;
    if (r.images) {
      const e = r.images;
      const recon = tileImages([...e.inputs, ...e.reconstructions], e.width, e.height, e.inputs.length);
      // A baseline stores no prior samples: a blank tile keeps the layout, the caption says why.
      const samplesGrid =
        e.samples.length > 0
          ? tileImages(e.samples, e.width, e.height, Math.min(4, e.samples.length))
          : tileImages([], e.width, e.height, 4);
      // Both strips side by side on the page, at most 2.5 points per pixel.
      const k = Math.min(2.5, (usable - 40) / (recon.width + samplesGrid.width));
      doc.image(pngOf(recon, 4), x, top, { width: recon.width * k, height: recon.height * k });
      doc
        .font('Helvetica')
        .fontSize(7)
        .fillColor('#555')
        .text('inputs (top), reconstructions (bottom)', x, top + recon.height * k + 2, { lineBreak: false });
      x += recon.width * k + 20;
      const samples = samplesGrid;
      doc.image(pngOf(samples, 4), x, top, { width: samples.width * k, height: samples.height * k });
      doc.text(
        e.samples.length > 0 ? 'samples from the prior' : 'no prior: sampling does not apply',
        x,
        top + samples.height * k + 2,
        { lineBreak: false },
      );
      x += samples.width * k + 20;
      bottom = Math.max(bottom, top + Math.max(recon.height, samples.height) * k + 12);
    }
    if (r.manifold) {
      const size = 170;
      if (x + size > left + usable) {
        x = left;
      }
      const mTop = x === left && r.images ? bottom + 6 : top;
      if (mTop + size + 12 > doc.page.height - doc.page.margins.bottom) doc.addPage();
      const y = mTop + size + 12 > doc.page.height - doc.page.margins.bottom ? doc.y : mTop;
      doc.image(pngOf(r.manifold, 2), x, y, { width: size, height: size });
      doc
        .font('Helvetica')
        .fontSize(7)
        .fillColor('#555')
        .text('2-D latent manifold', x, y + size + 2, { lineBreak: false });
      bottom = Math.max(bottom, y + size + 12);
    }
    doc.y = bottom + 4;
    doc.x = left;
  }
  doc.end();
  return done;
}
