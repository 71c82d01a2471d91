/**
 * Axis values at "nice" steps (1, 2 or 5 × 10^k) inside [min, max], about `target` of them, as plots label axes.
 * The step is chosen on the range's size, so ticks land on round numbers whatever the data.
 */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min || target < 1) return [];
  const rough = (max - min) / target;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  // The round step giving the tick count closest to the target.
  const span = max - min;
  const step = [1, 2, 5, 10]
    .map((m) => m * magnitude)
    .reduce((best, s) => (Math.abs(span / s - target) < Math.abs(span / best - target) ? s : best));
  const ticks: number[] = [];
  for (let k = Math.ceil(min / step); k * step <= max + step * 1e-9; k++) {
    // Multiplying the integer index keeps 0.1 + 0.2-style drift out of the labels.
    ticks.push(Number((k * step).toPrecision(12)));
  }
  return ticks;
}

/** A tick value as text: as few digits as its step needs (0.5, 1, 1.5; 0.02, 0.04), −0 as 0. */
export function tickLabel(value: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const text = (Object.is(value, -0) ? 0 : value).toFixed(decimals);
  return text.replace('-', '−');
}
