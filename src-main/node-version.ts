import packageJson from '../package.json';

/** The Node versions the project runs on, from package.json's engines (">=22.12"). */
export const REQUIRED_NODE: string = packageJson.engines.node;

/**
 * Why this Node cannot run the workbench, or null when it can. better-sqlite3's prebuilt binary segfaults on older
 * Node instead of saying so, so every Node entry asks this before loading it.
 */
export function nodeVersionProblem(version: string, required: string = REQUIRED_NODE): string | null {
  const wanted = /^>=\s*(\d+)(?:\.(\d+))?/.exec(required);
  if (!wanted) return null;
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  const needMajor = Number(wanted[1]);
  const needMinor = Number(wanted[2] ?? 0);
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return null;
  return (
    `VAE Workbench needs Node ${required.replace('>=', '≥ ')}; this is Node ${version}. ` +
    'Run it through npx or npm (`npx vae-workbench …`, `npm run cli -- …`), which use the Node 24 the project ' +
    'installs, or install Node 24 LTS'
  );
}
