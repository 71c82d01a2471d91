/** How many runs the latent views' run picker lists besides the compare selection and the run shown. */
export const MAX_LATENT_CANDIDATES = 200;

/**
 * The runs the latent views offer: those with a finished epoch (so a checkpoint), the compare selection first (in
 * run order), then the newest others, then the run shown if it is none of those. A picker of 10,000 runs would
 * take longer to draw than the views themselves, and nobody scrolls it: other runs are reached by selecting them.
 */
export function latentCandidates<R extends { id: number; epochsDone: number }>(
  runs: readonly R[],
  selected: readonly number[],
  shownRunId: number | null,
  max = MAX_LATENT_CANDIDATES,
): R[] {
  const chosen = new Set(selected);
  const picked: R[] = [];
  const newest: R[] = [];
  let shown: R | null = null;
  // `runs` is in id order: walk it from the newest.
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i];
    if (run.epochsDone === 0) continue;
    if (chosen.has(run.id)) picked.push(run);
    else if (newest.length < max) newest.push(run);
    else if (run.id === shownRunId) shown = run;
  }
  return [...picked.reverse(), ...newest, ...(shown ? [shown] : [])];
}
