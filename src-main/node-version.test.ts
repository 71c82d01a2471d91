import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem, REQUIRED_NODE } from './node-version';

describe('the Node version check', () => {
  it('accepts the Node versions package.json allows and names the one to use otherwise', () => {
    expect(REQUIRED_NODE).toBe('>=22.12');
    expect(nodeVersionProblem('24.21.0')).toBeNull();
    expect(nodeVersionProblem('22.12.0')).toBeNull();
    expect(nodeVersionProblem('23.0.0')).toBeNull();
    expect(nodeVersionProblem('22.11.9')).toMatch(/needs Node ≥ 22\.12; this is Node 22\.11\.9/);
    expect(nodeVersionProblem('20.20.2')).toMatch(/npx vae-workbench/);
  });

  it('stops every built entry on an old Node with the message, before anything else loads', () => {
    for (const entry of ['cli', 'training-worker', 'latent-worker', 'index', 'bench-train', 'bench-ui']) {
      const run = spawnSync(
        process.execPath,
        [
          '-e',
          `Object.defineProperty(process.versions, 'node', { value: '20.20.2' }); require('./out/main/${entry}.js')`,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(run.status, `${entry}.js: ${run.stderr}`).toBe(1);
      // Nothing else ran first: the message is all it printed (index.js would otherwise fail on require('electron')).
      expect(run.stderr.trim(), entry).toMatch(/^VAE Workbench needs Node ≥ 22\.12; this is Node 20\.20\.2\./);
    }
  });
});
