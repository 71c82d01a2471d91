// Runs the end-to-end suites (e2e/*.e2e.test.ts) with vitest, building the app first when its output is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needed = ['out/renderer/index.html', 'out/main/training-worker.js'];
const missing = needed.filter((p) => !existsSync(p));
if (missing.length > 0 || process.env.E2E_BUILD === '1') {
  console.log(`e2e: building first (${missing.length > 0 ? `missing ${missing.join(', ')}` : 'E2E_BUILD=1'})`);
  const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const args = ['vitest', 'run', '-c', 'vitest.e2e.config.mts', ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit' });
process.exit(run.status ?? 1);
