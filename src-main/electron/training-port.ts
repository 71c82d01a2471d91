/**
 * How main hands the hidden WebGPU window its MessagePort. Apart from channels.ts so that each preload bundles only
 * its own constants: a sandboxed preload can load no second file, so the two preloads may share no chunk.
 */

/** The IPC channel main sends the port on (training-host-preload.ts receives it). */
export const TRAINING_PORT_CHANNEL = 'workbench:training-port';
/** What the preload posts to its page with the port: the page starts training on the first such message. */
export const TRAINING_PORT_MESSAGE = 'vae-workbench:training-port';
