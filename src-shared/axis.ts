/**
 * A round tick step (2, 5 or 10 × 10^k, the first at or above span / count) that splits `span` into at most `count` intervals: the usual choice of plotting
 * libraries (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990), shared by the window's plots and reports.
 */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const nice = residual >= 5 ? 10 : residual >= 2 ? 5 : residual >= 1 ? 2 : 1;
  return nice * magnitude;
}
