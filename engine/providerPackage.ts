/**
 * Builds the runtime package `node_modules/@ngcp-fleet/runtime` from the compiled `dist/providers` and
 * `dist/spec` (same layout): the code the dynamic-provider process loads when the engine calls a resource's
 * provider (see providers/common/packaged.ts). `npm run build` runs it after `tsc`.
 *
 * The package is a real directory (no symlink) whose version is `<project version>+<first 12 hex digits of
 * the SHA-256 of its files>`: each resource's outputs carry it (`providerVersion`), so an operator can tell
 * which code last wrote a node. A build whose files did not change leaves the package alone; one that did
 * replaces it by a rename, so a provider process never loads half of an old and half of a new package.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { PACKAGE_DIRECTORIES, PROVIDER_PACKAGE } from "../providers/common/packaged";
import { projectRoot } from "./paths";

/** The files of the package: every compiled module of the given dist/ directories, relative to dist/, sorted. */
export function packageFiles(dist: string, directories: readonly string[] = PACKAGE_DIRECTORIES): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (entry.isFile() && entry.name.endsWith(".js")) {
        out.push(relative(dist, path));
      }
    }
  };
  for (const directory of directories) {
    walk(join(dist, directory));
  }
  return out.sort();
}

/** `<version>+<sha12>` of the given files' paths and contents (pure in its inputs). */
export function packageVersion(
  projectVersion: string,
  files: readonly { path: string; content: Buffer }[],
): string {
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(`${file.path}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  return `${projectVersion}+${hash.digest("hex").slice(0, 12)}`;
}

export interface BuiltPackage {
  readonly directory: string;
  readonly version: string;
  readonly files: number;
  /** False when the installed package already held exactly these files. */
  readonly replaced: boolean;
}

/** Builds (or keeps) the package under `<root>/node_modules`. */
export function buildProviderPackage(root = projectRoot()): BuiltPackage {
  const source = join(root, "dist");
  if (!existsSync(join(source, "providers", "index.js"))) {
    throw new Error(`${source}/providers/index.js is missing: run tsc first (npm run build does both)`);
  }
  const project = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const files = packageFiles(source).map((path) => ({ path, content: readFileSync(join(source, path)) }));
  const version = packageVersion(project.version, files);
  const directory = join(root, "node_modules", ...PROVIDER_PACKAGE.split("/"));
  const manifest = {
    name: PROVIDER_PACKAGE,
    version,
    private: true,
    description:
      "ngcp-fleet's dynamic providers, as the dynamic-provider process loads them (built by npm run build)",
    main: "providers/index.js",
    license: "Apache-2.0",
  };
  // The package's name before it carried spec/ too: nothing loads it any more.
  rmSync(join(root, "node_modules", "@ngcp-fleet", "providers"), { recursive: true, force: true });
  const installed = join(directory, "package.json");
  if (existsSync(installed)) {
    const current = JSON.parse(readFileSync(installed, "utf8")) as { version?: unknown };
    if (current.version === version) {
      return { directory, version, files: files.length, replaced: false };
    }
  }
  const parent = dirname(directory);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.providers-${randomBytes(6).toString("hex")}`);
  for (const file of files) {
    mkdirSync(dirname(join(staging, file.path)), { recursive: true });
    writeFileSync(join(staging, file.path), file.content);
  }
  writeFileSync(join(staging, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const retired = join(parent, `.providers-old-${randomBytes(6).toString("hex")}`);
  if (lstatSync(directory, { throwIfNoEntry: false }) !== undefined) {
    renameSync(directory, retired);
  }
  renameSync(staging, directory);
  rmSync(retired, { recursive: true, force: true });
  return { directory, version, files: files.length, replaced: true };
}

if (require.main === module) {
  const built = buildProviderPackage();
  process.stderr.write(
    `provider package ${PROVIDER_PACKAGE}@${built.version}: ${built.files} modules` +
      `${built.replaced ? "" : " (unchanged)"}\n`,
  );
}
