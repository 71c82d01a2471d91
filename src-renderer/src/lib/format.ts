const minus = '\u2212';

/**
 * Every number the renderer shows with fixed decimals (nats, latent coordinates, KL): a real minus sign, no sign on a
 * value that rounds to zero ("0.00", not "−0.00"), NaN and ±∞ shown as such, a dash for no value.
 */
export function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : `${minus}∞`;
  const text = (Math.abs(value) < 0.5 * 10 ** -digits ? 0 : value).toFixed(digits);
  return text.startsWith('-') ? minus + text.slice(1) : text;
}

/** A share as a whole percentage: 0.423 → "42%". */
export function percent(share: number): string {
  return `${num(share * 100, 0)}%`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${num(seconds, 1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export { describeDifference, paramLabels, paramValue, sci } from '../../../src-shared/parameters';
