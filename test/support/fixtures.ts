import { join } from "node:path";
import { projectRoot } from "../../engine/paths";

/** A file under test/fixtures, found the same way from ts-node and from the compiled dist/ tree. */
export function fixturePath(...parts: string[]): string {
  return join(projectRoot(), "test", "fixtures", ...parts);
}
