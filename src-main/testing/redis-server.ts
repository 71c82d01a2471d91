import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the tests find Redis: Debian's redis-server (`.ci/run` installs it). */
export const REDIS_SERVER = process.env.VAE_WORKBENCH_REDIS_SERVER ?? '/usr/bin/redis-server';

/** A free loopback port, as the kernel hands one out. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A real redis-server of the tests' own, on a free loopback port, with its files in a temporary folder: AOF on and
 * noeviction, as the README asks of a production one. `restart` stops it (SIGTERM: AOF flushed) and starts it again
 * on the same port and folder.
 */
export class TestRedis {
  private process: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly password: string | null,
  ) {}

  static async start(options: { password?: string } = {}): Promise<TestRedis> {
    const redis = new TestRedis(await freePort(), mkdtempSync(join(tmpdir(), 'vae-redis-')), options.password ?? null);
    await redis.launch();
    return redis;
  }

  get url(): string {
    return this.password === null
      ? `redis://127.0.0.1:${this.port}`
      : `redis://:${this.password}@127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    await this.stop(false);
    await this.launch();
  }

  async stop(removeFiles = true): Promise<void> {
    const child = this.process;
    this.process = null;
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    if (removeFiles) rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--maxmemory-policy',
      'noeviction',
      '--save',
      '',
    ];
    if (this.password !== null) args.push('--requirepass', this.password);
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s: ${output}`)), 10_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with code ${code}: ${output}`));
      });
    });
  }
}
