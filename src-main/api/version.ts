import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The app's version from package.json (the bundle sits in out/main or out/node, the source two levels down). */
export function appVersion(): string {
  for (const dir of [join(__dirname, '../..'), join(__dirname, '../../..'), process.cwd()]) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vae-workbench' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here; try the next place
    }
  }
  return 'unknown';
}
