/**
 * A clean run prints no warning (issue 17 item 3): the lab stack as the quick start leaves it, through the
 * shell environment `ngcp-fleet env` prints and the plain `pulumi` CLI an operator types. Read-only on the
 * nodes (a preview); the `up` side of the same promise is asserted on the team-state test's real `up`.
 * Runs in the lab group, alone, before the groups that change nodes.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../../engine/paths";
import { labStatus } from "../../lab";
import { ensureLab } from "../support/lab";
import { parseExports, warningLines } from "../support/output";

describe("e2e: a clean run prints no warning", function () {
  this.timeout(600_000);

  before(async () => {
    await ensureLab(3);
  });

  it("GIVEN the lab stack WHEN `pulumi preview` runs from `eval $(ngcp-fleet env)` THEN it succeeds with no warning line", () => {
    const root = projectRoot();
    // The lab stack as the quick start leaves it: `lab up` writes it for ngcp1..3 and sets its random secrets.
    const nodes = String(labStatus().nodes.length);
    execFileSync(
      process.execPath,
      [join(root, "bin", "ngcp-fleet"), "lab", "up", "--nodes", nodes, "--stack-nodes", "3"],
      {
        cwd: root,
        stdio: "ignore",
      },
    );
    const exports = execFileSync(
      process.execPath,
      [join(root, "bin", "ngcp-fleet"), "env", "--stack", "lab"],
      {
        cwd: root,
      },
    ).toString();
    // The shell an operator has after eval, with nothing else of this test process's environment.
    const env: Record<string, string> = {
      HOME: process.env.HOME ?? "/root",
      LANG: "C.UTF-8",
      ...parseExports(exports),
    };
    const pulumi = (...args: string[]) =>
      spawnSync("pulumi", args, { cwd: root, env, encoding: "utf8", timeout: 300_000 });
    const select = pulumi("stack", "select", "lab", "--create", "--secrets-provider", "passphrase");
    assert.equal(select.status, 0, select.stderr);
    const preview = pulumi("preview", "--stack", "lab", "--non-interactive");
    const output = `${preview.stdout}\n${preview.stderr}`;
    assert.equal(preview.status, 0, output.slice(-4000));
    assert.deepEqual(warningLines(output), [], output.slice(-4000));
  });
});
