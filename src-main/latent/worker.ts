// First: stops an old Node with a message before better-sqlite3 can crash it.
import '../require-node';
import { resolve } from 'node:path';
import { parentPort } from '../child/parent-port';
import { selectBackend } from '../training/backend';
import { LatentEngine } from './engine';
import { runLatentProcess, type LatentPort } from './latent-process';
import { quietTfjs } from '../tfjs-quiet';
import { backendFromArgs } from './fork';

quietTfjs();

/**
 * Entry of the latent process (out/main/latent-worker.js): decodes and encodes for the latent-space views so that
 * hundreds of decodes never run on main's event loop. Started by LatentService through child_process.fork
 * (serialization 'advanced') or Electron's utilityProcess; the database path comes as the first argument or
 * VAE_WORKBENCH_DB. Exits with its parent.
 */

// fork puts the arguments after the script (argv[2]); Electron's utilityProcess exposes them in process.argv too, but
// without promising where: take the last argument that is neither a flag nor this script.
const args = process.argv.slice(1).filter((a) => !a.startsWith('-') && resolve(a) !== resolve(__filename));
const dbPath = args[args.length - 1] ?? process.env.VAE_WORKBENCH_DB;
const port: LatentPort = parentPort(process);
if (!dbPath) {
  port.send({
    type: 'fatal',
    error: { name: 'LatentProcessError', message: 'the latent process needs the database path as its first argument' },
  });
  port.exit(2);
} else {
  const engine = new LatentEngine({ dbPath });
  // The backend the workbench's preference names (latentArgs); without one, the environment's or the best available.
  const backend = backendFromArgs(process.argv) ?? null;
  const allowSoftwareGpu = process.argv.includes('--allow-software-gpu') || undefined;
  runLatentProcess(port, { engine, startBackend: () => selectBackend(backend, { allowSoftwareGpu }) });
}
