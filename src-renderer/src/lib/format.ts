const minus = '\u2212';

/** Nats and similar quantities: fixed decimals, a real minus sign, NaN shown as such. */
export function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : `${minus}∞`;
  const text = value.toFixed(digits);
  return text.startsWith('-') ? minus + text.slice(1) : text;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export { describeDifference, paramLabels, paramValue, sci } from '../../../src-shared/parameters';
