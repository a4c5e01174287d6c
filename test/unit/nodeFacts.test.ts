import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { factsScript, parseFactsReport } from "../../providers/nodeFacts/report";

describe("NodeFacts: report parsing", () => {
  it("parses a report with every section", () => {
    const report = [
      "@@ngcp-fleet:hostname",
      "ngcp1",
      "@@ngcp-fleet:osRelease",
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
      "NAME=Debian",
      "@@ngcp-fleet:ngcpVersion",
      "mr11.5.1",
      "@@ngcp-fleet:meminfo",
      "MemTotal:       24576000 kB",
      "MemFree:        1 kB",
      "@@ngcp-fleet:mounts",
      "/dev/vda / ext4 rw,relatime 0 0",
      "@@ngcp-fleet:kernel",
      "6.1.0",
    ].join("\n");
    assert.deepEqual(parseFactsReport(report), {
      hostname: "ngcp1",
      os: "Debian GNU/Linux 12 (bookworm)",
      ngcpVersion: "mr11.5.1",
      ramMb: 24000,
      rootMountOptions: ["rw", "relatime"],
      kernel: "6.1.0",
    });
  });

  it("reports empty facts for missing sources instead of failing", () => {
    const facts = parseFactsReport("@@ngcp-fleet:hostname\nx\n@@ngcp-fleet:ngcpVersion\n");
    assert.equal(facts.ngcpVersion, "");
    assert.equal(facts.ramMb, 0);
    assert.deepEqual(facts.rootMountOptions, []);
  });

  it("takes the last mount of / (the one in effect)", () => {
    const facts = parseFactsReport(
      "@@ngcp-fleet:mounts\nnone / tmpfs rw 0 0\n/dev/vda / ext4 rw,noatime 0 0\n",
    );
    assert.deepEqual(facts.rootMountOptions, ["rw", "noatime"]);
  });

  it("runs as a real sh script and yields this machine's facts", () => {
    const facts = parseFactsReport(execFileSync("sh", ["-s"], { input: factsScript() }).toString());
    assert.ok(facts.ramMb > 0);
    assert.ok(facts.hostname.length > 0);
    assert.ok(facts.rootMountOptions.length > 0);
  });
});
