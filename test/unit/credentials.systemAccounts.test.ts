import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import type { SystemAccountsInputs } from "../../providers/systemAccounts/inputs";
import { planCdrexportKeys, planKeyWipe } from "../../providers/systemAccounts/planner";
import {
  CHPASSWD_ARGV,
  extractSalt,
  lockCommand,
  parseShadow,
  parseVerifyOutput,
  planAccountPassword,
  renderChpasswdInput,
  renderVerifyStdin,
  shadowDrift,
  verifyCommand,
  type ShadowEntry,
} from "../../providers/systemAccounts/shadow";
import {
  authorizedKeysFiles,
  parseAuthorizedKeyLine,
  parsePasswd,
  planAuthorizedKeys,
  publicKeyProblem,
} from "../../providers/systemAccounts/sshKeys";
import { systemAccountsWarnings, validateSystemAccounts } from "../../providers/systemAccounts/validate";

/** SSH wire-format string: uint32 length + bytes. */
function sshString(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** SSH mpint from unsigned big-endian bytes (a leading 0 when the high bit is set). */
function mpint(bytes: Buffer): Buffer {
  return sshString(bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function ed25519Line(comment: string): string {
  const jwk = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" });
  const blob = Buffer.concat([
    sshString(Buffer.from("ssh-ed25519")),
    sshString(Buffer.from(jwk.x as string, "base64url")),
  ]);
  return `ssh-ed25519 ${blob.toString("base64")} ${comment}`;
}

function rsaLine(bits: number, comment: string): string {
  const jwk = generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ format: "jwk" });
  const blob = Buffer.concat([
    sshString(Buffer.from("ssh-rsa")),
    mpint(Buffer.from(jwk.e as string, "base64url")),
    mpint(Buffer.from(jwk.n as string, "base64url")),
  ]);
  return `ssh-rsa ${blob.toString("base64")} ${comment}`;
}

const deployer = ed25519Line("deployer@ngcp-fleet");
const imageKey = ed25519Line("vm-image");
const supportKey = ed25519Line("sipwise-support");
const operator = ed25519Line("operator@example.net");
const rsa2048 = rsaLine(2048, "rsa-ok");
const rsa1024 = rsaLine(1024, "rsa-small");

describe("credentials/systemAccounts: OpenSSH public keys", () => {
  it("parses a key line with options, keeping them verbatim", () => {
    const line = `from="198.18.0.1,2001:2::1",command="echo hi there",no-pty ${supportKey}`;
    const parsed = parseAuthorizedKeyLine(line);
    assert.equal(parsed.kind, "key");
    assert.ok(parsed.kind === "key");
    assert.equal(parsed.options, 'from="198.18.0.1,2001:2::1",command="echo hi there",no-pty');
    assert.equal(parsed.type, "ssh-ed25519");
    assert.equal(parsed.comment, "sipwise-support");
    assert.match(parsed.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it("identifies a key by its blob, whatever its comment", () => {
    const [type, blob] = deployer.split(" ");
    const a = parseAuthorizedKeyLine(deployer);
    const b = parseAuthorizedKeyLine(`${type} ${blob} another-comment`);
    assert.ok(a.kind === "key" && b.kind === "key" && a.fingerprint === b.fingerprint);
  });

  const malformed: [string, string, RegExp][] = [
    ["an empty line", "", /must not be empty/],
    ["a comment", "# my key", /comment/],
    [
      "a private key pasted by mistake",
      "-----BEGIN OPENSSH PRIVATE KEY-----",
      /not an OpenSSH public key line/,
    ],
    ["a type without data", "ssh-ed25519", /no base64 key data/],
    ["garbage base64", "ssh-ed25519 !!!notbase64 x", /no base64 key data/],
    ["a blob of another type", `ssh-rsa ${deployer.split(" ")[1]} x`, /does not match its type/],
    ["a truncated blob", `ssh-ed25519 AAAAC3NzaC1lZDI1 x`, /does not match its type|not an OpenSSH/],
    ["two keys in one entry", `${deployer}\n${operator}`, /single line/],
    [
      "a DSA key",
      `ssh-dss ${Buffer.concat([sshString(Buffer.from("ssh-dss")), sshString(Buffer.alloc(8))]).toString("base64")}`,
      /DSA keys .* disabled/,
    ],
    ["an RSA key of 1024 bits", rsa1024, /RSA key of 1024 bits is too small, at least 2048/],
  ];
  for (const [what, line, reason] of malformed) {
    it(`refuses ${what}`, () => {
      const problem = publicKeyProblem(line);
      assert.ok(problem !== undefined && reason.test(problem), `got: ${problem}`);
    });
  }

  it("accepts ed25519 and RSA 2048 keys", () => {
    assert.equal(publicKeyProblem(deployer), undefined);
    assert.equal(publicKeyProblem(rsa2048), undefined);
  });

  it("looks in both files sshd reads on Debian", () => {
    assert.deepEqual(authorizedKeysFiles("/home/sipwise/"), [
      "/home/sipwise/.ssh/authorized_keys",
      "/home/sipwise/.ssh/authorized_keys2",
    ]);
  });

  it("parses getent passwd lines for home, uid and gid", () => {
    assert.deepEqual(parsePasswd("cdrexport:x:1001:1001::/home/jail/home/cdrexport:/bin/sh\nbroken\n"), [
      { user: "cdrexport", uid: 1001, gid: 1001, home: "/home/jail/home/cdrexport", shell: "/bin/sh" },
    ]);
  });
});

describe("credentials/systemAccounts: wiping preinstalled authorized_keys (handbook 15.3)", () => {
  const liveRoot = `# installed by the image\n${imageKey}\n\n${deployer}\n`;

  it("keeps only the named keys, byte for byte, and drops the rest", () => {
    // GIVEN root's keys from the VM image plus the deployer's WHEN wiped keeping the deployer
    const plan = planAuthorizedKeys(liveRoot, [deployer]);
    // THEN only the deployer's line remains, and the image key is reported removed by fingerprint
    assert.equal(plan.text, `${deployer}\n`);
    assert.ok(plan.changed);
    assert.deepEqual(
      plan.removed.map((k) => k.comment),
      ["vm-image"],
    );
    assert.equal(plan.droppedOtherLines, 2);
  });

  it("is stable: a second wipe changes nothing", () => {
    const first = planAuthorizedKeys(liveRoot, [deployer]);
    const second = planAuthorizedKeys(first.text, [deployer]);
    assert.equal(second.changed, false);
  });

  it("keeps a kept key's options and comment as they are on the node", () => {
    const live = `from="198.18.0.1" ${supportKey}\n${imageKey}\n`;
    const [type, blob] = supportKey.split(" ");
    const plan = planAuthorizedKeys(live, [`${type} ${blob}`]);
    assert.equal(plan.text, `from="198.18.0.1" ${supportKey}\n`);
  });

  it("adds a named key that is missing, as the stack wrote it", () => {
    const plan = planAuthorizedKeys(undefined, [deployer]);
    assert.equal(plan.text, `${deployer}\n`);
    assert.equal(plan.added.length, 1);
  });

  it("empties the file when no key is named", () => {
    assert.equal(planAuthorizedKeys(liveRoot, []).text, "");
  });

  const wipeInputs: SystemAccountsInputs = { wipeAuthorizedKeys: true, keepKeys: { root: [deployer] } };
  const liveFiles = [
    { user: "root", path: "/root/.ssh/authorized_keys", text: liveRoot },
    { user: "root", path: "/root/.ssh/authorized_keys2", text: `${imageKey}\n` },
    { user: "sipwise", path: "/home/sipwise/.ssh/authorized_keys", text: `${imageKey}\n${supportKey}\n` },
    { user: "cdrexport", path: "/home/jail/home/cdrexport/.ssh/authorized_keys", text: `${operator}\n` },
  ];

  it("plans the wipe for root and sipwise, never another user's file, and never adds to authorized_keys2", () => {
    const changes = planKeyWipe(wipeInputs, liveFiles);
    assert.deepEqual(
      changes.map((c) => [c.path, c.plan.text]),
      [
        ["/root/.ssh/authorized_keys", `${deployer}\n`],
        ["/root/.ssh/authorized_keys2", ""],
        ["/home/sipwise/.ssh/authorized_keys", ""],
      ],
    );
    assert.ok(
      changes.every((c) => !c.description.includes("AAAA")),
      "descriptions carry fingerprints, not key data",
    );
  });

  it("skips the wipe on a Vagrant box, as the handbook says", () => {
    assert.deepEqual(planKeyWipe({ ...wipeInputs, vagrant: true }, liveFiles), []);
    assert.ok(systemAccountsWarnings({ ...wipeInputs, vagrant: true }).some((w) => /Vagrant/.test(w)));
  });

  it("does nothing when the wipe is off", () => {
    assert.deepEqual(planKeyWipe({ keepKeys: { root: [deployer] } }, liveFiles), []);
  });

  it("writes exactly the stack's keys for cdrexport", () => {
    const change = planCdrexportKeys(
      { cdrexport: { mode: "key", authorizedKeys: [deployer, operator] } },
      liveFiles[3],
    );
    assert.equal(change?.plan.text, `${deployer}\n${operator}\n`);
    assert.equal(
      planCdrexportKeys({ cdrexport: { mode: "key", authorizedKeys: [operator] } }, liveFiles[3]),
      undefined,
    );
  });
});

describe("credentials/systemAccounts: validation (preview fails naming the key)", () => {
  const cases: [string, SystemAccountsInputs, string, RegExp][] = [
    [
      "the VM images' root password",
      { rootPassword: "sipwise" },
      "rootPassword",
      /VM images' default root password/,
    ],
    ["an empty root password", { rootPassword: "" }, "rootPassword", /must not be empty/],
    ["a weak root password", { rootPassword: "toor1234" }, "rootPassword", /too weak/],
    [
      "a weak cdrexport password",
      { cdrexport: { mode: "password", password: "cdr12345" } },
      "cdrexport.password",
      /too weak/,
    ],
    [
      "password mode without a password",
      { cdrexport: { mode: "password" } },
      "cdrexport.password",
      /is required/,
    ],
    [
      "key mode without a key",
      { cdrexport: { mode: "key", authorizedKeys: [] } },
      "cdrexport.authorizedKeys",
      /at least one public key/,
    ],
    [
      "key mode with a password",
      { cdrexport: { mode: "key", authorizedKeys: [operator], password: "Abcdefgh-12345" } },
      "cdrexport.password",
      /only used with mode "password"/,
    ],
    [
      "a malformed cdrexport key",
      { cdrexport: { mode: "key", authorizedKeys: ["ssh-ed25519 AAAA"] } },
      "cdrexport.authorizedKeys[0]",
      /does not match its type|not an OpenSSH/,
    ],
    [
      "a malformed key to keep",
      { keepKeys: { sipwise: ["not a key"] } },
      "keepKeys.sipwise[0]",
      /not an OpenSSH public key line/,
    ],
    [
      "a key listed twice",
      { cdrexport: { mode: "key", authorizedKeys: [operator, operator] } },
      "cdrexport.authorizedKeys[1]",
      /same key as cdrexport.authorizedKeys\[0\]/,
    ],
    [
      "a wipe that would lock the deployer out",
      { wipeAuthorizedKeys: true },
      "keepKeys.root",
      /lock itself out/,
    ],
  ];
  for (const [what, inputs, property, reason] of cases) {
    it(`refuses ${what}`, () => {
      const failures = validateSystemAccounts(inputs);
      assert.ok(
        failures.some((f) => f.property === property && reason.test(f.reason)),
        `expected ${property} ~ ${reason}, got ${JSON.stringify(failures)}`,
      );
    });
  }

  it("accepts a complete, sound configuration", () => {
    assert.deepEqual(
      validateSystemAccounts({
        rootPassword: "Node-Admin-Pass-42",
        cdrexport: { mode: "key", authorizedKeys: [operator] },
        wipeAuthorizedKeys: true,
        keepKeys: { root: [deployer], sipwise: [] },
      }),
      [],
    );
  });

  it("allows a wipe without root keys when the deployer is not root (sudo)", () => {
    assert.deepEqual(validateSystemAccounts({ wipeAuthorizedKeys: true, deployerUser: "deploy" }), []);
  });

  it("never puts a password into a reason (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (a, b) => {
        const password = `${a}\u2603${b}`;
        const failures = validateSystemAccounts({
          rootPassword: password,
          cdrexport: { mode: "password", password },
        });
        assert.ok(failures.every((f) => !f.reason.includes(password)));
      }),
    );
  });
});

describe("credentials/systemAccounts: passwords through chpasswd and /etc/shadow", () => {
  it("renders chpasswd's stdin as user:password lines (colons in a password are fine)", () => {
    assert.equal(
      renderChpasswdInput([
        { user: "root", password: "Pa:ss word-1" },
        { user: "cdrexport", password: "x" },
      ]),
      "root:Pa:ss word-1\ncdrexport:x\n",
    );
    assert.deepEqual(CHPASSWD_ARGV, ["chpasswd"]);
  });

  it("refuses a newline in a password without quoting the password", () => {
    try {
      renderChpasswdInput([{ user: "root", password: "abc\nroot2:x" }]);
      assert.fail("expected a throw");
    } catch (err) {
      assert.match((err as Error).message, /newline/);
      assert.ok(!(err as Error).message.includes("abc"));
    }
  });

  it("refuses a login name chpasswd would misread", () => {
    assert.throws(() => renderChpasswdInput([{ user: "ro:ot", password: "x" }]), /not a valid login name/);
  });

  const shadow = [
    "root:$y$j9T$abcdefghijklmnopqrstu.$yIOI64MnNnEDvdeKPi8YqyIKRo4wu39JqkYc4sfSTJ1:19700:0:99999:7:::",
    "sipwise:*:19700:0:99999:7:::",
    "cdrexport:!:19700:0:99999:7:::",
    "locked:!$6$abc$K4v3HcZ8yAmpRfxML6S46NCcqy9r4/KdbQpFvqSWsBf4dgySOEOo1DHJTrmn2BsJK2aNmPN8Tfb826D2o9.z51:19700::::::",
    "open::19700::::::",
  ].join("\n");

  it("parses /etc/shadow into hash, lock and emptiness", () => {
    assert.deepEqual(
      parseShadow(shadow).map((e) => [e.user, e.state, e.locked]),
      [
        ["root", "hash", false],
        ["sipwise", "disabled", true],
        ["cdrexport", "locked", true],
        ["locked", "locked", true],
        ["open", "empty", false],
      ],
    );
    assert.equal(parseShadow(shadow)[0].lastChangeDays, 19700);
  });

  const salts: [string, string | undefined][] = [
    [
      "$6$abc$K4v3HcZ8yAmpRfxML6S46NCcqy9r4/KdbQpFvqSWsBf4dgySOEOo1DHJTrmn2BsJK2aNmPN8Tfb826D2o9.z51",
      "$6$abc",
    ],
    ["$6$rounds=10000$saltsalt$hashhash", "$6$rounds=10000$saltsalt"],
    [
      "$y$j9T$abcdefghijklmnopqrstu.$yIOI64MnNnEDvdeKPi8YqyIKRo4wu39JqkYc4sfSTJ1",
      "$y$j9T$abcdefghijklmnopqrstu.",
    ],
    ["$5$salt$hash", "$5$salt"],
    ["$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234", "$2b$10$abcdefghijklmnopqrstuu"],
    ["abJnggxhB/yWI", "ab"],
    ["!$6$abc$xyz", "$6$abc"],
    ["*", undefined],
    ["!", undefined],
    ["", undefined],
  ];
  for (const [hash, salt] of salts) {
    it(`extracts the crypt setting ${salt ?? "(none)"} from ${hash.slice(0, 24) || "an empty field"}`, () => {
      assert.equal(extractSalt(hash), salt);
    });
  }

  function verify(hash: string, password: string): string {
    const { argv, okExitCodes } = verifyCommand();
    try {
      return execFileSync(argv[0], argv.slice(1), { input: renderVerifyStdin(hash, password) }).toString();
    } catch (err) {
      const e = err as { status?: number; stdout?: Buffer };
      if (e.status !== undefined && okExitCodes.includes(e.status)) {
        return e.stdout?.toString() ?? "";
      }
      throw err;
    }
  }

  const verifications: [string, string, string, string][] = [
    [
      "SHA-512-crypt, right password",
      "$6$abc$K4v3HcZ8yAmpRfxML6S46NCcqy9r4/KdbQpFvqSWsBf4dgySOEOo1DHJTrmn2BsJK2aNmPN8Tfb826D2o9.z51",
      "x",
      "match",
    ],
    [
      "SHA-512-crypt, wrong password",
      "$6$abc$K4v3HcZ8yAmpRfxML6S46NCcqy9r4/KdbQpFvqSWsBf4dgySOEOo1DHJTrmn2BsJK2aNmPN8Tfb826D2o9.z51",
      "y",
      "mismatch",
    ],
    [
      "yescrypt (Debian 11+), right password",
      "$y$j9T$abcdefghijklmnopqrstu.$yIOI64MnNnEDvdeKPi8YqyIKRo4wu39JqkYc4sfSTJ1",
      "x",
      "match",
    ],
    [
      "yescrypt, wrong password",
      "$y$j9T$abcdefghijklmnopqrstu.$yIOI64MnNnEDvdeKPi8YqyIKRo4wu39JqkYc4sfSTJ1",
      "x ",
      "mismatch",
    ],
    [
      "a locked hash, right password",
      "!$6$abc$K4v3HcZ8yAmpRfxML6S46NCcqy9r4/KdbQpFvqSWsBf4dgySOEOo1DHJTrmn2BsJK2aNmPN8Tfb826D2o9.z51",
      "x",
      "match",
    ],
  ];
  for (const [what, hash, password, answer] of verifications) {
    it(`verifies ${what} with the node-side Perl verifier (password on stdin only)`, () => {
      // GIVEN a shadow hash WHEN the verifier runs as the provider runs it THEN it answers one word
      assert.equal(parseVerifyOutput(verify(hash, password)), answer);
    });
  }

  it("keeps the password out of the verifier's argv", () => {
    assert.ok(verifyCommand().argv.every((a) => !a.includes("s3cret-Pass")));
    assert.ok(renderVerifyStdin("$6$abc$xyz", "s3cret-Pass").endsWith("s3cret-Pass\n"));
  });

  it("refuses to verify against a hash-less entry", () => {
    assert.throws(() => renderVerifyStdin("*", "x"), /no crypt\(3\) hash/);
  });

  const hashEntry: ShadowEntry = parseShadow(shadow)[0];
  const planCases: [string, Parameters<typeof planAccountPassword>[0], string][] = [
    [
      "sets a changed password input",
      {
        user: "root",
        desired: { kind: "password", changed: true },
        live: hashEntry,
        recordedHash: hashEntry.hash,
      },
      "set",
    ],
    [
      "does nothing when the live hash is the recorded one (second up)",
      {
        user: "root",
        desired: { kind: "password", changed: false },
        live: hashEntry,
        recordedHash: hashEntry.hash,
      },
      "none",
    ],
    [
      "asks the verifier after a hand change",
      {
        user: "root",
        desired: { kind: "password", changed: false },
        live: hashEntry,
        recordedHash: "$y$other",
      },
      "verify",
    ],
    [
      "resets after a hand change to another password",
      {
        user: "root",
        desired: { kind: "password", changed: false },
        live: hashEntry,
        recordedHash: "$y$other",
        verification: "mismatch",
      },
      "set",
    ],
    [
      "adopts a node that already has the desired password",
      { user: "root", desired: { kind: "password", changed: false }, live: hashEntry, verification: "match" },
      "none",
    ],
    [
      "sets a password on a locked account",
      { user: "cdrexport", desired: { kind: "password", changed: false }, live: parseShadow(shadow)[2] },
      "set",
    ],
    [
      "locks cdrexport's password for key-only login",
      { user: "open", desired: { kind: "locked" }, live: parseShadow(shadow)[4] },
      "lock",
    ],
    [
      "leaves an already locked account alone",
      { user: "cdrexport", desired: { kind: "locked" }, live: parseShadow(shadow)[2] },
      "none",
    ],
    [
      "reports a missing account",
      { user: "cdrexport", desired: { kind: "locked" }, live: undefined },
      "missing",
    ],
  ];
  for (const [what, situation, action] of planCases) {
    it(`${what}`, () => {
      assert.equal(planAccountPassword(situation).action, action);
    });
  }

  it("reports drift when the hash on the node is not the one recorded at the last set", () => {
    assert.equal(shadowDrift("root", hashEntry.hash, hashEntry), undefined);
    assert.match(shadowDrift("root", "$y$j9T$old$old", hashEntry) ?? "", /changed on the node/);
    assert.match(shadowDrift("cdrexport", "$6$a$b", parseShadow(shadow)[4]) ?? "", /removed/);
    assert.equal(shadowDrift("root", undefined, hashEntry), undefined);
  });

  it("locks with passwd -l", () => {
    assert.deepEqual(lockCommand("cdrexport"), ["passwd", "-l", "cdrexport"]);
  });
});
