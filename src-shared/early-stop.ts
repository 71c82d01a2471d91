/**
 * Median stopping (Golovin et al., "Google Vizier", KDD 2017): a run stops when its objective at epoch e is worse
 * than the median of what its finished peers reached at the same epoch. Here the objective is the test ELBO
 * (higher is better); a non-finite ELBO counts as the worst possible.
 */

/** Finished peers needed before the rule may stop anything: with fewer, the median says little. */
export const MEDIAN_MIN_PEERS = 3;
/** No run is stopped before this epoch: early epochs rank runs poorly (β warm-up, learning-rate effects). */
export const MEDIAN_MIN_EPOCH = 2;

/** The median of the values: the middle one, or the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface MedianVerdict {
  stop: boolean;
  /** The run's test ELBO at the epoch; the peers' median; how many peers reached the epoch. */
  elbo: number;
  median: number | null;
  peers: number;
  /** Why the run goes on or stops, in words. */
  reason: string;
}

const finiteOrWorst = (v: number): number => (Number.isFinite(v) ? v : Number.NEGATIVE_INFINITY);

/** Applies the rule to one run at one epoch, given its finished peers' test ELBO at that epoch. */
export function medianStopVerdict(
  epoch: number,
  elbo: number,
  peerElbos: readonly number[],
  rule: { minPeers?: number; minEpoch?: number } = {},
): MedianVerdict {
  const minPeers = rule.minPeers ?? MEDIAN_MIN_PEERS;
  const minEpoch = rule.minEpoch ?? MEDIAN_MIN_EPOCH;
  const peers = peerElbos.length;
  if (epoch < minEpoch)
    return { stop: false, elbo, median: null, peers, reason: `epoch ${epoch} is before epoch ${minEpoch}` };
  if (peers < minPeers)
    return { stop: false, elbo, median: null, peers, reason: `${peers} finished peers, ${minPeers} needed` };
  const m = median(peerElbos.map(finiteOrWorst));
  const stop = finiteOrWorst(elbo) < m;
  const shown = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : String(v));
  return {
    stop,
    elbo,
    median: m,
    peers,
    reason: `test ELBO ${shown(elbo)} at epoch ${epoch} is ${stop ? 'worse than' : 'not worse than'} the median ${shown(m)} of ${peers} finished peers`,
  };
}
