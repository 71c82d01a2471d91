import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandHelp, main } from './main';

const dir = mkdtempSync(join(tmpdir(), 'vae-help-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function call(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), isTty: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('--help on every command', () => {
  it.each(['list', 'show', 'resume', 'cancel', 'export', 'datasets', 'import', 'nll', 'report', 'serve'])(
    '%s --help explains the command and does nothing else (no database is even opened)',
    async (command) => {
      const db = join(dir, `${command}.db`);
      const result = await call([command, '1', '--help', '--db', db]);
      expect(result.code).toBe(0);
      expect(result.err).toBe('');
      expect(result.out).toContain(`vae-workbench ${command} [--db PATH]`);
      expect(result.out).toMatch(new RegExp(`^  ${command} `, 'm'));
      expect(existsSync(db)).toBe(false);
    },
  );

  it("gives a command its continuation lines and no other command's", () => {
    const serve = commandHelp('serve');
    expect(serve).toContain('the workbench in a browser');
    expect(serve).toContain('--redis URL');
    expect(serve).not.toContain('worker ');
    const imports = commandHelp('import');
    expect(imports).toContain('--train-images');
    expect(imports).toContain('--folder DIR');
  });
});
