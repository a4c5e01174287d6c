import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandLine, quote } from "../../providers/transport/quote";
import { redact } from "../../providers/transport/redact";
import { fingerprint, parsePublicKeyLine } from "../../providers/transport/target";
import { NodeUnreachableError, RemoteCommandError } from "../../providers/transport/errors";
import { connect } from "../../providers/transport/session";

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

describe("transport: a connection lost during the login", function () {
  // Generous: the assertion is that connect settles at all; before the fix it waited forever.
  this.timeout(20_000);
  let server: Server;
  let port: number;
  let privateKey: string;
  let keyDir: string;

  before(async () => {
    keyDir = mkdtempSync(join(tmpdir(), "ngcp-fleet-transport-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keyDir, "key")]);
    privateKey = readFileSync(join(keyDir, "key"), "utf8");
    // What a client sees of an sshd killed after its banner: the banner, then the connection closes
    // cleanly (FIN) as soon as the client starts its key exchange.
    server = createServer((socket) => {
      socket.write("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
      socket.once("data", () => socket.end());
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(() => {
    server.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("GIVEN sshd gone after its banner WHEN connecting THEN connect fails at once, naming the node, not after a timeout", async () => {
    const started = Date.now();
    await assert.rejects(
      connect({
        name: "ngcp9",
        host: "127.0.0.1",
        port,
        privateKey,
        trustUnknownHostKey: true,
        // Longer than the test's own timeout: only the close can end this connect in time.
        connectTimeoutMs: 60_000,
      }),
      (err: Error) => {
        assert.ok(err instanceof NodeUnreachableError, err.message);
        assert.match(
          err.message,
          /^node ngcp9 \(root@127\.0\.0\.1:\d+\) is unreachable: the connection closed/,
        );
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000, `settled after ${Date.now() - started} ms`);
  });
});
