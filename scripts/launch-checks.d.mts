export function repoRoot(scriptUrl: string): string;
export function spawnFailure(
  what: string,
  result: { error?: Error; status: number | null; signal?: NodeJS.Signals | null },
): string | null;
export function sandboxProblem(facts: {
  platform: NodeJS.Platform;
  restrictUserns: string | null;
  sandboxPath: string;
  sandboxStat: { uid: number; mode: number } | null;
}): string | null;
export function npmSpawn(
  command: string,
  args: string[],
  platform?: NodeJS.Platform,
): { command: string; args: string[]; shell: boolean };
export function withDisplay(
  command: string,
  args: string[],
  facts: { platform: NodeJS.Platform; display?: string; waylandDisplay?: string; hasXvfbRun: boolean },
): { command: string; args: string[] };
export function electronSandboxArgs(uid: number | undefined): string[];
export function chromeSandboxPath(electronBinary: string): string;
