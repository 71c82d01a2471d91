import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FromWorker } from '../training/protocol';
import { forkTraining, trainingV8Flags } from './fork';

const dir = mkdtempSync(join(tmpdir(), 'vae-fork-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a training process started with child_process.fork', () => {
  it('runs with the training V8 flags (its garbage collector on its own thread)', async () => {
    // Stands in for the training worker: reports the flags its Node was started with.
    const script = join(dir, 'report-flags.cjs');
    writeFileSync(script, "process.send({ type: 'flags', execArgv: process.execArgv }, () => process.exit(0));");
    const child = forkTraining(script);
    const reported = await new Promise<{ execArgv: string[] }>((resolve) =>
      child.onMessage((message: FromWorker) => resolve(message as unknown as { execArgv: string[] })),
    );
    expect(reported.execArgv).toEqual(expect.arrayContaining([...trainingV8Flags]));
    await new Promise<void>((resolve) => child.onExit(() => resolve()));
  });
});
