/**
 * The colours that tell runs and labels apart, on screen and in reports alike: run 8 is the same colour in the
 * compare view, the HTML report and the PDF.
 */

/** Colour-blind-safe (Okabe–Ito, then Tableau), distinct at a glance and in print for up to a dozen runs. */
export const runPalette: readonly string[] = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#8c564b',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#9467bd',
];

/** A run's own colour, from its id alone, so it does not change with what else is shown beside it. */
export function runColour(runId: number): string {
  const n = runPalette.length;
  return runPalette[(((runId - 1) % n) + n) % n];
}

/** Ten label colours (Tableau 10): distinct for the ten classes of MNIST and Fashion-MNIST. */
export const labelPalette: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function labelColour(label: number): string {
  const n = labelPalette.length;
  return labelPalette[((label % n) + n) % n];
}
