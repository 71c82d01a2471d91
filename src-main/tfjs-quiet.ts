/**
 * TF.js prints "Hi, looks like you are running TensorFlow.js in Node.js… install our node backend" the first time
 * its cpu backend holds a tensor (backend probing does). The workbench already says which backend it uses and why,
 * so the banner only confuses: TF.js's PROD flag silences its console warnings. Reached through TF.js's global
 * engine, so calling it costs nothing where TF.js is not loaded.
 */
export function quietTfjs(): void {
  const engine = (globalThis as { _tfengine?: { ENV: { set(flag: string, value: boolean): void } } })._tfengine;
  engine?.ENV.set('PROD', true);
}
