import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkChild } from './fork';
import { isFinalEnvelope } from './final-message';

const fixture = fileURLToPath(new URL('../testing/fixtures/final-message-child.ts', import.meta.url));
let dir: string;
let childScript: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vaew-final-'));
  childScript = join(dir, 'final-message-child.mjs');
  // The fixture imports the kit's TypeScript: bundle it into one file Node can fork.
  await build({ input: fixture, platform: 'node', output: { file: childScript, format: 'esm' }, logLevel: 'silent' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Blocks this process's event loop, as a parent busy writing an epoch to the store would. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("a child's final message", () => {
  it('is handled by a slow parent before the child exits: the child waits for the ack', async () => {
    // 40 messages of 64 kB: more than the channel holds at once. The final one takes the parent 300 ms to handle
    // (recording it elsewhere, asynchronously); without the ack the child's exit would be heard first.
    const child = forkChild<{ type: 'go' }, { type: string }>(childScript, ['40', String(64 * 1024), '10000']);
    const heard: string[] = [];
    child.onMessage(async (message) => {
      busy(5);
      if (message.type === 'finished') await sleep(300);
      heard.push(message.type);
    });
    const exit = new Promise<number | null>((resolve) =>
      child.onExit((code) => {
        heard.push('exit');
        resolve(code);
      }),
    );
    child.send({ type: 'go' });
    expect(await exit).toBe(0);
    expect(heard.filter((m) => m === 'epoch')).toHaveLength(40);
    expect(heard.slice(-2)).toEqual(['finished', 'exit']);
  });

  it('a parent that never acknowledges holds the child no longer than the time limit', async () => {
    // A raw fork: the final message arrives wrapped and nobody acknowledges it.
    const child = fork(childScript, ['2', '10', '400'], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    let finalAt = 0;
    let acked: unknown;
    child.on('message', (message: unknown) => {
      if (isFinalEnvelope(message)) finalAt = performance.now();
      else if ((message as { type?: string }).type === 'finished') acked = (message as { acked?: boolean }).acked;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.send({ type: 'go' });
    const code = await exited;
    const waited = performance.now() - finalAt;
    expect(code).toBe(0);
    expect(finalAt).toBeGreaterThan(0);
    expect(acked).toBe(false);
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(5000);
  });
});
