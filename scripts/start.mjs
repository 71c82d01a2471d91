// `npm start`: build, then launch the desktop app; `npm run dev` (`--dev`): the same checks, then electron-vite's dev
// server. The Electron binary downloads on first use; where it cannot (no access to its download host), say so in
// one line and point to the modes that need no Electron.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromeSandboxPath, repoRoot, sandboxProblem, spawnFailure } from './launch-checks.mjs';

const require = createRequire(import.meta.url);
const root = repoRoot(import.meta.url);
const dev = process.argv[2] === '--dev';
const passOn = process.argv.slice(dev ? 3 : 2);
const electronDir = dirname(require.resolve('electron/package.json'));

function fail(message) {
  console.error(message);
  process.exit(1);
}

if (!existsSync(join(electronDir, 'path.txt'))) {
  console.log('Fetching the Electron binary (first start)…');
  const fetched = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit' });
  const why = spawnFailure('The Electron download', fetched);
  if (why || !existsSync(join(electronDir, 'path.txt'))) {
    fail(
      `${why ? `${why}. ` : ''}The Electron binary could not be downloaded, so the desktop app cannot start here. ` +
        'Use the browser mode (`npm run serve`) or the CLI (`npx vae-workbench --help`) instead.',
    );
  }
}

const electron = require('electron');
const sandboxPath = chromeSandboxPath(electron);
const readOrNull = (read) => {
  try {
    return read();
  } catch {
    return null;
  }
};
const problem = sandboxProblem({
  platform: process.platform,
  restrictUserns: readOrNull(() => readFileSync('/proc/sys/kernel/apparmor_restrict_unprivileged_userns', 'utf8')),
  sandboxPath,
  sandboxStat: readOrNull(() => statSync(sandboxPath)),
});
if (problem) fail(problem);

const electronVite = join(root, 'node_modules/electron-vite/bin/electron-vite.js');
if (dev) {
  const devServer = spawn(process.execPath, [electronVite, 'dev', ...passOn], { cwd: root, stdio: 'inherit' });
  devServer.on('error', (error) => fail(`electron-vite dev could not be started: ${error.message}`));
  devServer.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const build = spawnSync(process.execPath, [electronVite, 'build'], { cwd: root, stdio: 'inherit' });
  const why = spawnFailure('The build (electron-vite build)', build);
  if (why) fail(why);
  const app = spawn(electron, [root, ...passOn], { cwd: root, stdio: 'inherit' });
  app.on('error', (error) => fail(`Electron (${electron}) could not be started: ${error.message}`));
  app.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
