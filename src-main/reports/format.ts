/**
 * Numbers as the terminal and the reports print them: plain ASCII (a PDF's standard fonts and a CSV reader both want
 * "-", not "−"), a dash for no value, NaN kept visible.
 */

/** A metric in nats with fixed decimals: "-86.80", "NaN", or "—" when there is none. */
export function formatMetric(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  return value.toFixed(digits);
}

/** An axis tick: four significant digits, exponent notation far from 1. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(0);
  return Number(value.toPrecision(4)).toString();
}
