// Runs the end-to-end suites (e2e/*.e2e.test.ts) with vitest, building the app first when its output is missing.
// Without a display on Linux (CI, a server), and with the Electron binary present, it runs under xvfb-run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { npmSpawn, spawnFailure, withDisplay } from './launch-checks.mjs';

function run(what, command, args) {
  const spec = npmSpawn(command, args);
  const result = spawnSync(spec.command, spec.args, { stdio: 'inherit', shell: spec.shell });
  const why = spawnFailure(what, result);
  if (why) {
    console.error(`e2e: ${why}`);
    process.exit(result.status || 1);
  }
}

const needed = ['out/renderer/index.html', 'out/main/training-worker.js'];
const missing = needed.filter((p) => !existsSync(p));
if (missing.length > 0 || process.env.E2E_BUILD === '1') {
  console.log(`e2e: building first (${missing.length > 0 ? `missing ${missing.join(', ')}` : 'E2E_BUILD=1'})`);
  run('the build', 'npm', ['run', 'build', '--silent']);
}
const vitest = ['vitest', 'run', '-c', 'vitest.e2e.config.mts', ...process.argv.slice(2)];
const hasXvfbRun = spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error === undefined;
const electronInstalled = existsSync('node_modules/electron/path.txt');
const { command, args } = electronInstalled
  ? withDisplay('npx', vitest, {
      platform: process.platform,
      display: process.env.DISPLAY,
      waylandDisplay: process.env.WAYLAND_DISPLAY,
      hasXvfbRun,
    })
  : { command: 'npx', args: vitest };
if (electronInstalled && command === 'npx' && process.platform === 'linux' && !process.env.DISPLAY && !hasXvfbRun) {
  console.log('e2e: no display and no xvfb-run (apt-get install xvfb): the desktop suite will fail to open a window');
}
run('the e2e suites', command, args);
