import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { projectRoot } from "../../engine/paths";

describe("CI rollout workflow", function () {
  this.timeout(300_000);
  it("passes actionlint (built from its pinned Go module)", () => {
    // actionlint exits non-zero and prints each problem when the workflow is wrong.
    const out = execFileSync("bash", ["scripts/actionlint.sh"], { cwd: projectRoot(), encoding: "utf8" });
    assert.equal(out.trim(), "");
  });
});
