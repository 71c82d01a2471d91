/**
 * Starts a request from an $effect and returns the effect's cleanup. Once the effect re-runs (its inputs changed)
 * or the component goes away, the superseded request's outcome is ignored, so a slow old answer never overwrites a
 * newer one.
 */
export function whileCurrent<T>(
  request: Promise<T>,
  handlers: { result: (value: T) => void; error: (message: string) => void; settled?: () => void },
): () => void {
  let current = true;
  request
    .then((value) => {
      if (current) handlers.result(value);
    })
    .catch((error: unknown) => {
      if (current) handlers.error(error instanceof Error ? error.message : String(error));
    })
    .finally(() => {
      if (current) handlers.settled?.();
    });
  return () => {
    current = false;
  };
}
