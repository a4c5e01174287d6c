import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { commandLine, quote } from "../../providers/transport/quote";
import { redact } from "../../providers/transport/redact";
import { fingerprint, parsePublicKeyLine } from "../../providers/transport/target";
import { RemoteCommandError } from "../../providers/transport/errors";

describe("transport: quoting", () => {
  const cases: [string, string][] = [
    ["plain", "plain"],
    ["/etc/ngcp-config/config.yml", "/etc/ngcp-config/config.yml"],
    ["", "''"],
    ["two words", "'two words'"],
    ["it's", "'it'\\''s'"],
    ["$(reboot)", "'$(reboot)'"],
    ["`id`", "'`id`'"],
    ["a;b|c&d>e", "'a;b|c&d>e'"],
    ["line\nbreak", "'line\nbreak'"],
    ["*", "'*'"],
  ];
  for (const [input, expected] of cases) {
    it(`quotes ${JSON.stringify(input)} as ${expected}`, () => {
      assert.equal(quote(input), expected);
    });
  }

  it("round-trips every argument through a real shell unchanged", () => {
    // GIVEN hostile arguments WHEN a real sh parses the quoted line THEN it sees the same argv
    const argv = ["printf", "%s\\0", "a b", "it's", "$(echo x)", "`id`", "\\", "'", '"', "-n", "\t", "ü"];
    const out = execFileSync("sh", ["-c", commandLine(argv)]).toString();
    assert.deepEqual(out.split("\0").slice(0, -1), argv.slice(2));
  });

  it("refuses an empty argv", () => {
    assert.throws(() => commandLine([]), /at least the program name/);
  });
});

describe("transport: redaction", () => {
  it("replaces every occurrence of every secret, longest first", () => {
    assert.equal(
      redact("pw=hunter22 again hunter22 and hunter2", ["hunter2", "hunter22"]),
      "pw=[secret] again [secret] and [secret]",
    );
  });
  it("ignores empty and undefined secrets", () => {
    assert.equal(redact("abc", ["", undefined, "x"]), "abc");
  });
  it("formats a remote error message from redacted parts (the session's own redaction of raw secrets: test/provider/transport.test.ts)", () => {
    const err = new RemoteCommandError(
      "ngcp1",
      redact("chpasswd s3cr3t!", ["s3cr3t!"]),
      1,
      undefined,
      redact("bad s3cr3t!", ["s3cr3t!"]),
      "",
    );
    assert.doesNotMatch(err.message, /s3cr3t!/);
    assert.match(
      err.message,
      /node ngcp1: `chpasswd \[secret\]` failed with exit code 1 \(general error\):\nbad \[secret\]/,
    );
  });
});

describe("transport: host keys", () => {
  // A real ed25519 host key and the fingerprint `ssh-keygen -lf` prints for it.
  const line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl host";

  it("parses an OpenSSH public key line", () => {
    const { type, blob } = parsePublicKeyLine(line);
    assert.equal(type, "ssh-ed25519");
    assert.equal(blob.length, 51);
  });

  it("computes the fingerprint ssh-keygen prints", () => {
    const expected = execFileSync("ssh-keygen", ["-lf", "-"], { input: line }).toString().split(" ")[1];
    assert.equal(fingerprint(parsePublicKeyLine(line).blob), expected);
  });

  for (const bad of [
    "",
    "AAAA",
    "ssh-ed25519",
    "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parsePublicKeyLine(bad));
    });
  }
});
