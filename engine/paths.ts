import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";

/** The project root: the nearest folder above this file that holds Pulumi.yaml (works from dist/ too). */
export function projectRoot(from: string = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "Pulumi.yaml")) && existsSync(join(dir, "package.json"))) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no ngcp-fleet project (Pulumi.yaml + package.json) above ${from}`);
    }
    dir = parent;
  }
}

/** Where engine/ensure.sh links the engine binaries. */
export function engineBinDir(root = projectRoot()): string {
  return join(root, ".pulumi", "bin");
}

/**
 * The lab stack's secrets passphrase: generated once per clone and kept beside
 * the local state it protects (both git-ignored), never in the stack file.
 */
export function labPassphrase(root = projectRoot()): string {
  const file = join(root, ".pulumi", "lab-passphrase");
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(24).toString("base64url"), { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}
