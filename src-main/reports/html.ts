import { describeRunBackend } from '../../src-shared/runs';
import { paramLabels, parameters, paramValue, shownParameter } from '../../src-shared/parameters';
import type { EpochImages } from '../../src-shared/runs';
import { chartSvg } from './chart';
import { analysisHtml } from './analysis';
import { encodeGreyPng, tileImages } from './png';
import {
  baselinesNote,
  FINAL_METRIC_HEADER,
  finalMetricCells,
  parameterColumns,
  runLegend,
  type Report,
  type ReportRun,
} from './document';
import { hasElbo, modelKindName } from '../../src-shared/baselines';

const esc = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function pngDataUri(pixels: Uint8Array, width: number, height: number): string {
  return `data:image/png;base64,${encodeGreyPng(pixels, width, height).toString('base64')}`;
}

function strip(images: Uint8Array[], e: EpochImages, columns: number): { uri: string; width: number; height: number } {
  const grid = tileImages(images, e.width, e.height, columns);
  return { uri: pngDataUri(grid.pixels, grid.width, grid.height), width: grid.width, height: grid.height };
}

function runSection(r: ReportRun, report: Report): string {
  const { run } = r;
  const parts = [
    `<section class="run"><h3><span class="swatch" style="background:${r.color}"></span>Run ${run.id}: ${esc(run.name)} <small>${esc(runLegend(run, report.differing))}</small></h3>`,
  ];
  if (run.notes.trim() !== '') parts.push(`<p class="notes"><b>Notes.</b> ${esc(run.notes)}</p>`);
  if (run.error) parts.push(`<p class="error"><b>${esc(run.status)}:</b> ${esc(run.error)}</p>`);
  const figures: string[] = [];
  if (r.images) {
    const e = r.images;
    const columns = e.inputs.length;
    const recon = strip([...e.inputs, ...e.reconstructions], e, columns);
    figures.push(
      `<figure><img src="${recon.uri}" width="${recon.width * 3}" height="${recon.height * 3}" alt="reconstructions of run ${run.id}"><figcaption>Test inputs (top) and reconstructions (bottom), epoch ${run.epochsDone}</figcaption></figure>`,
    );
    if (e.samples.length > 0) {
      const samples = strip(e.samples, e, Math.min(4, e.samples.length));
      figures.push(
        `<figure><img src="${samples.uri}" width="${samples.width * 3}" height="${samples.height * 3}" alt="prior samples of run ${run.id}"><figcaption>Samples from the prior p(z) = N(0, I)</figcaption></figure>`,
      );
    } else if (!hasElbo(run.config)) {
      figures.push(
        `<p class="muted">A ${esc(modelKindName(run.config))} baseline has no prior p(z): sampling does not apply.</p>`,
      );
    }
  }
  if (r.manifold) {
    const m = r.manifold;
    const scale = Math.max(1, Math.floor(300 / m.width));
    figures.push(
      `<figure><img src="${pngDataUri(m.pixels, m.width, m.height)}" width="${m.width * scale}" height="${m.height * scale}" alt="latent manifold of run ${run.id}"><figcaption>2-D latent manifold (decoded grid through the Gaussian inverse CDF)</figcaption></figure>`,
    );
  }
  if (figures.length === 0) figures.push('<p class="muted">No epoch finished yet: no images.</p>');
  parts.push(`<div class="figures">${figures.join('')}</div></section>`);
  return parts.join('');
}

export function reportHtml(report: Report): string {
  const runs = report.runs.map((r) => r.run);
  const differing = new Set(report.differing);
  const columns = parameterColumns(report.differing);
  const shared = parameters.map((p) => p.key).filter((k) => !columns.includes(k));
  const backends = [...new Set(runs.map((r) => describeRunBackend(r) ?? 'not started'))].join(', ');
  const datasets = [...new Set(runs.map((r) => r.config.dataset))].join(', ');
  const baselines = baselinesNote(runs);

  const paramRows = report.runs
    .map(
      (r) =>
        `<tr><td><span class="swatch" style="background:${r.color}"></span>${r.run.id}</td><td>${esc(r.run.name)}</td>${columns
          .map((k) => `<td class="${differing.has(k) ? 'differs' : ''}">${esc(shownParameter(k, r.run.config))}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  const metricRows = report.runs
    .map(({ run, nll }) => {
      const [model, ...cells] = finalMetricCells(run, nll);
      return `<tr><td>${run.id}</td><td>${esc(run.status)}</td><td class="num">${run.epochsDone}</td><td>${esc(model)}</td>${cells.map((c) => `<td class="num">${esc(c)}</td>`).join('')}<td>${esc(describeRunBackend(run) ?? '—')}</td></tr>`;
    })
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${esc(report.title)}</title>
<style>
  body { font: 13px/1.45 Helvetica, Arial, sans-serif; color: #1d1d1f; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 22px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
  h3 { font-size: 13px; margin: 0 0 6px; } h3 small { font-weight: normal; color: #555; margin-left: 6px; }
  .meta { color: #555; margin: 0; }
  table { border-collapse: collapse; font-size: 12px; margin: 4px 0; }
  th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 8px; text-align: left; white-space: nowrap; }
  th { background: #f5f5f7; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.differs, th.differs { background: #fff4cc; font-weight: 600; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
  .charts { display: flex; flex-wrap: wrap; gap: 12px; } .charts svg { border: 1px solid #eee; }
  .legend { font-size: 12px; color: #333; margin: 6px 0; } .legend span { margin-right: 14px; white-space: nowrap; }
  .figures { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
  figure { margin: 0; } figcaption { font-size: 11px; color: #555; max-width: 340px; }
  img { image-rendering: pixelated; image-rendering: crisp-edges; display: block; }
  section.run { margin: 14px 0; padding-top: 8px; border-top: 1px solid #eee; }
  .notes { background: #f7f7fa; padding: 6px 8px; border-radius: 4px; } .error { color: #a30000; } .muted { color: #777; }
  .shared { color: #444; font-size: 12px; }
  @page { size: A4 landscape; margin: 12mm; }
  @media print { body { margin: 0; max-width: none; } section.run, .charts svg, table { break-inside: avoid; } }
</style>
</head>
<body>
<header>
<h1>${esc(report.title)}</h1>
<p class="meta">${esc(report.createdAt.toISOString().replace('T', ' ').slice(0, 16))} UTC · VAE Workbench ${esc(report.appVersion)} · backend: ${esc(backends)} · dataset: ${esc(datasets)} · ${runs.length} run${runs.length === 1 ? '' : 's'}</p>
</header>
<h2>Parameters</h2>
<table><thead><tr><th>run</th><th>name</th>${columns.map((k) => `<th class="${differing.has(k) ? 'differs' : ''}">${esc(paramLabels[k])}</th>`).join('')}</tr></thead><tbody>${paramRows}</tbody></table>
<p class="shared">Shared by all runs: ${shared.map((k) => `${esc(paramLabels[k])} ${esc(paramValue(k, runs[0].config))}`).join(' · ')}</p>
<h2>Final metrics <small>(test split, nats per example; ELBO = −(recon + KL); NLL = −log p(x) by importance sampling)</small></h2>
<table><thead><tr><th>run</th><th>status</th><th>epochs</th>${FINAL_METRIC_HEADER.map((h) => `<th>${esc(h)}</th>`).join('')}<th>backend</th></tr></thead><tbody>${metricRows}</tbody></table>
${baselines === null ? '' : `<p class="shared">${esc(baselines)}</p>`}
<h2>Loss curves</h2>
<p class="legend">${report.runs.map((r) => `<span><span class="swatch" style="background:${r.color}"></span>${esc(runLegend(r.run, report.differing))}</span>`).join('')}<span>solid: test · dashed: train</span></p>
<div class="charts">${report.charts.map(chartSvg).join('')}</div>
${analysisHtml(report.analysis)}
<h2>Runs</h2>
${report.runs.map((r) => runSection(r, report)).join('\n')}
</body>
</html>
`;
}
