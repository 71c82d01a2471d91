#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
// The same check as the built entries (src-main/node-version.ts): engines says >=22.12.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `vae-workbench needs Node ≥ 22.12 (this is ${process.version}); run it through npx or npm scripts, which use the Node 24 the project pins.`,
  );
  process.exit(1);
}
if (!existsSync(cli)) {
  console.error('vae-workbench is not built yet: run `npm run build` in the project folder first.');
  process.exit(1);
}
createRequire(import.meta.url)(cli);
