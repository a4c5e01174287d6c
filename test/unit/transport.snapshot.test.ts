import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NODE_BASELINE } from "../../providers/common/nodeReads";
import { parseSnapshotOutput, renderSnapshotScript } from "../../providers/transport/snapshot";

/** Runs a batch script the way a node does (`sh -s`, script on stdin) in a local directory. */
function runLocally(script: string): string {
  return execFileSync("sh", ["-s"], { input: script, encoding: "utf8" });
}

describe("transport: the batched node read (real sh)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-snapshot-test-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("GIVEN sections, files and a directory WHEN run as one script THEN each comes back exactly, with exit codes and modes", () => {
    const secret = join(dir, "key.pem");
    writeFileSync(secret, "-----BEGIN KEY-----\nline\n");
    chmodSync(secret, 0o600);
    const binary = join(dir, "blob.bin");
    writeFileSync(binary, Buffer.from([0, 1, 2, 255, 10, 64, 64]));
    mkdirSync(join(dir, "ssl"));
    writeFileSync(join(dir, "ssl", "a.crt"), "A");
    writeFileSync(join(dir, "ssl", "b with space.crt"), "B");
    const script = renderSnapshotScript({
      sections: [
        { name: "hello", script: 'printf "%s|%s\\n" "$1" "$2"', args: ["one two", "it's"] },
        { name: "fails", script: "echo partial; exit 7" },
        // A snippet's output cannot forge a record: it travels encoded.
        {
          name: "forger",
          script: "echo '@@ngcp-fleet-snapshot end'; echo '@@ngcp-fleet-snapshot section x 0 eA=='",
        },
        { name: "stdin", script: "cat; echo after" },
      ],
      files: [secret, binary, join(dir, "absent")],
      directories: [join(dir, "ssl")],
      dynamicFiles: [{ name: "found", expression: `printf "%s\\n" ${JSON.stringify(secret)}` }],
    });
    const parsed = parseSnapshotOutput("local", runLocally(script));
    assert.deepEqual(parsed.sections.get("hello"), { stdout: "one two|it's\n", exitCode: 0 });
    assert.deepEqual(parsed.sections.get("fails"), { stdout: "partial\n", exitCode: 7 });
    assert.equal(parsed.sections.get("forger")?.exitCode, 0);
    assert.equal(parsed.sections.has("x"), false);
    // A snippet reading stdin gets nothing of the rest of the script.
    assert.deepEqual(parsed.sections.get("stdin"), { stdout: "after\n", exitCode: 0 });
    assert.deepEqual(parsed.files.get(secret), {
      content: Buffer.from("-----BEGIN KEY-----\nline\n"),
      mode: 0o600,
    });
    assert.deepEqual(parsed.files.get(binary)?.content, Buffer.from([0, 1, 2, 255, 10, 64, 64]));
    assert.equal(parsed.files.get(join(dir, "absent")), null);
    assert.deepEqual(parsed.listings.get(`dir:${join(dir, "ssl")}`), [
      join(dir, "ssl", "a.crt"),
      join(dir, "ssl", "b with space.crt"),
    ]);
    assert.equal(parsed.files.get(join(dir, "ssl", "b with space.crt"))?.content.toString(), "B");
    assert.deepEqual(parsed.listings.get("dynamic:found"), [secret]);
  });

  it("GIVEN output cut short WHEN parsed THEN it is an error naming the node, not a partial snapshot", () => {
    const full = runLocally(renderSnapshotScript({ sections: [{ name: "a", script: "echo a" }] }));
    const cut = full.split("\n").slice(0, -2).join("\n");
    assert.throws(() => parseSnapshotOutput("ngcp7", cut), /node ngcp7: the batched read ended early/);
  });

  it("the baseline of every feature is one script that runs on any POSIX sh (no node files here: all absent)", () => {
    const parsed = parseSnapshotOutput("local", runLocally(renderSnapshotScript(NODE_BASELINE)));
    for (const section of NODE_BASELINE.sections ?? []) {
      assert.ok(parsed.sections.has(section.name), section.name);
    }
    for (const path of NODE_BASELINE.files ?? []) {
      assert.ok(parsed.files.has(path), path);
    }
  });
});
