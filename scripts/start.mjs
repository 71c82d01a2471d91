// `npm start`: build, then launch the desktop app. The Electron binary downloads on first use; where it cannot
// (no access to its download host), say so in one line and point to the modes that need no Electron.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = dirname(dirname(new URL(import.meta.url).pathname));
const electronDir = dirname(require.resolve('electron/package.json'));

if (!existsSync(join(electronDir, 'path.txt'))) {
  console.log('Fetching the Electron binary (first start)…');
  const fetched = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit' });
  if (fetched.status !== 0 || !existsSync(join(electronDir, 'path.txt'))) {
    console.error(
      'The Electron binary could not be downloaded, so the desktop app cannot start here. ' +
        'Use the browser mode (`npm run serve`) or the CLI (`npx vae-workbench --help`) instead.',
    );
    process.exit(1);
  }
}

const build = spawnSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

const electron = require('electron');
const app = spawn(electron, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
app.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
