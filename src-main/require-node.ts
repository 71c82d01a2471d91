import { nodeVersionProblem } from './node-version';

// Imported first by every Node entry, so it runs before better-sqlite3 (which crashes on an old Node) is loaded.
const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  console.error(problem);
  process.exit(1);
}
