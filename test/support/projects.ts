/**
 * Other checkouts of this project for the tests of the provider package: the previous layout built from
 * git (providers copied into the state by value), and this checkout with a patched provider package. Each
 * is a temporary project directory that shares this checkout's engine, npm packages and state backend.
 */
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../../engine/paths";

/**
 * The last commit before the providers became a package: its program serializes every provider by value
 * into each resource's state (issue 14).
 */
export const PREVIOUS_LAYOUT_COMMIT = "bfd0f5ab4fa6942ba3fd6a58ef9e8244e1c322aa";

/** The state backend of this checkout, which the other project directories share. */
export function sharedBackend(): string {
  return `file://${join(projectRoot(), ".pulumi", "state")}`;
}

function linkEngine(dir: string): void {
  mkdirSync(join(dir, ".pulumi"), { recursive: true });
  symlinkSync(join(projectRoot(), ".pulumi", "bin"), join(dir, ".pulumi", "bin"));
}

/**
 * The project as it was at {@link PREVIOUS_LAYOUT_COMMIT}, its program compiled (only what index.ts
 * imports). Throws, naming the fix, when the commit is not in this clone's history.
 */
export function previousLayoutProject(): string {
  const root = projectRoot();
  try {
    execFileSync("git", ["-C", root, "cat-file", "-e", `${PREVIOUS_LAYOUT_COMMIT}^{commit}`], {
      stdio: "ignore",
    });
  } catch {
    throw new Error(
      `commit ${PREVIOUS_LAYOUT_COMMIT} (the previous provider layout) is not in this clone: the adoption test ` +
        "needs the project's history (a full clone, not --depth)",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-previous-layout-"));
  const archive = execFileSync("git", ["-C", root, "archive", PREVIOUS_LAYOUT_COMMIT], {
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  linkEngine(dir);
  writeFileSync(
    join(dir, "tsconfig.program.json"),
    JSON.stringify({ extends: "./tsconfig.json", include: ["index.ts"] }),
  );
  execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(dir, "tsconfig.program.json")], {
    cwd: dir,
    stdio: "pipe",
  });
  return dir;
}

/**
 * This checkout's program with a copy of the provider package to which `patch` (JavaScript, run at the end
 * of the package's index.js with its `exports` in scope) was appended. Everything else is linked.
 */
export function patchedProviderProject(patch: string): string {
  const root = projectRoot();
  const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-patched-providers-"));
  for (const file of ["Pulumi.yaml", "package.json"]) {
    copyFileSync(join(root, file), join(dir, file));
  }
  mkdirSync(join(dir, "stacks"));
  // The engine starts the provider process in the program's directory, and a symlinked dist/ would put it in
  // this checkout's (whose node_modules holds the unpatched package): dist/ is a real directory of links.
  mkdirSync(join(dir, "dist"));
  for (const entry of readdirSync(join(root, "dist"))) {
    symlinkSync(join(root, "dist", entry), join(dir, "dist", entry));
  }
  mkdirSync(join(dir, "node_modules", "@ngcp-fleet"), { recursive: true });
  for (const entry of readdirSync(join(root, "node_modules"))) {
    if (entry !== "@ngcp-fleet") {
      symlinkSync(join(root, "node_modules", entry), join(dir, "node_modules", entry));
    }
  }
  const copy = join(dir, "node_modules", "@ngcp-fleet", "runtime");
  cpSync(join(root, "node_modules", "@ngcp-fleet", "runtime"), copy, { recursive: true });
  appendFileSync(join(copy, "providers", "index.js"), `\n;(() => {\n${patch}\n})();\n`);
  linkEngine(dir);
  return dir;
}

/** Copies a stack's config file (and with it the secrets' salt) from one project directory to another. */
export function copyStackConfig(stack: string, from: string, to: string): void {
  mkdirSync(join(to, "stacks"), { recursive: true });
  copyFileSync(join(from, "stacks", `Pulumi.${stack}.yaml`), join(to, "stacks", `Pulumi.${stack}.yaml`));
}

export function removeProject(dir: string | undefined): void {
  if (dir !== undefined) {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Another clone of this project as a teammate or a CI runner has it: its own directory with the project
 * file, the CLI, the compiled program and the stack files, its own PULUMI_HOME; the npm packages and the
 * engine are this checkout's (linked). Deleting it deletes nothing the team shares.
 */
export function cloneProject(): string {
  const root = projectRoot();
  const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-clone-"));
  for (const file of ["Pulumi.yaml", "package.json"]) {
    copyFileSync(join(root, file), join(dir, file));
  }
  mkdirSync(join(dir, "stacks"));
  cpSync(join(root, "bin"), join(dir, "bin"), { recursive: true });
  // A copy of dist/, not links: the CLI and the program find their project from their own path.
  cpSync(join(root, "dist"), join(dir, "dist"), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  linkEngine(dir);
  return dir;
}
