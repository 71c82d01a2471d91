import { fork, type Serializable } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChildHandle } from './handle';
import { ACK, messageDispatcher } from './final-message';

/** The child entries electron.vite.config.ts builds, each with the variable that may point elsewhere. */
const entryOverrides = {
  'training-worker': 'VAE_WORKBENCH_WORKER',
  'latent-worker': 'VAE_WORKBENCH_LATENT_WORKER',
  // A worker thread rather than a process, located the same way.
  'report-worker': 'VAE_WORKBENCH_REPORT_WORKER',
} as const;

export type ChildEntry = keyof typeof entryOverrides;

/**
 * The built file of a child entry. Bundled code sits beside it in out/main; code run from source (tests) uses the
 * repository's build, so `npm run build` must have run first.
 */
export function builtEntry(entry: ChildEntry): string {
  const candidates = [
    process.env[entryOverrides[entry]],
    join(__dirname, `${entry}.js`),
    resolve(__dirname, `../../out/main/${entry}.js`),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`${entry}.js not found (looked in ${candidates.join(', ')}); run \`npm run build\` first`);
  }
  return found;
}

/** Starts a child process with child_process.fork; killing it is a SIGKILL, as a crash would be. */
export function forkChild<ToChild, FromChild>(
  entryPath: string,
  args: readonly string[] = [],
  options: { v8Flags?: readonly string[] } = {},
): ChildHandle<ToChild, FromChild> {
  const child = fork(entryPath, args, {
    execArgv: [...process.execArgv, ...(options.v8Flags ?? [])],
    // Structured clone lets Float32Array weights and Uint8Array images cross without JSON.
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages = messageDispatcher<FromChild>(() => {
    if (child.connected) child.send(ACK as unknown as Serializable);
  });
  child.on('message', messages.dispatch);
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      if (child.connected) child.send(message as Serializable);
    },
    onMessage(listener) {
      messages.add(listener);
    },
    onExit(listener) {
      child.once('exit', (code, signal) => listener(code, signal));
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
