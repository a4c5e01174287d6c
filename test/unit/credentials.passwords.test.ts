import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  matchesFingerprint,
  newSalt,
  nodeFingerprint,
  secretFingerprint,
} from "../../providers/systemAccounts/providerKit";
import { describeCandidate, loginCandidates } from "../../providers/systemAccounts/loginCandidates";
import {
  assessPassword,
  checkPassword,
  isStrongPassword,
  KNOWN_DEFAULT_PASSWORDS,
} from "../../providers/systemAccounts/passwordStrength";

describe("credentials: password strength (one policy for every resource)", () => {
  const weak: [string, string, RegExp][] = [
    ["empty", "", /must not be empty/],
    ["short, one class", "abcdefgh", /too weak: 8 characters from 1 character class;/],
    ["12 characters but two classes", "abcdefgh1234", /too weak: 12 characters from 2 character classes/],
    ["11 characters, four classes", "Abcdef-1234", /too weak: 11 characters/],
    ["19 lower-case characters", "abcdefghijklmnopqrs", /too weak: 19 characters/],
    ["the VM images' root password", "sipwise", /well-known default password/],
    ["the web administrator's default", "administrator", /well-known default password/],
    ["a default in other case", "SipWise", /well-known default password/],
    ["a newline (would split a chpasswd line)", "Abcdefgh-12345\nroot:x", /control characters/],
    ["a NUL", "Abcdefgh-1234\0", /control characters/],
    ["longer than 256 characters", "aA1-".repeat(65), /too long: 260 characters/],
  ];
  for (const [what, password, reason] of weak) {
    it(`refuses a password that is ${what}`, () => {
      // GIVEN a bad password WHEN assessed THEN a problem explains the rule without quoting it
      const problems = assessPassword(password).problems;
      assert.ok(
        problems.some((p) => reason.test(p)),
        `expected ${reason} in ${JSON.stringify(problems)}`,
      );
    });
  }

  const strong: [string, string][] = [
    ["12 characters from 3 classes", "Abcdefgh1234"],
    ["12 characters from lower, digits and symbols", "abcdefgh-123"],
    ["a 20-character passphrase of lower-case words", "correct horse battery"],
    ["non-ASCII letters counted by code point", "Äöüßéèêñçåøæ1"],
  ];
  for (const [what, password] of strong) {
    it(`accepts ${what}`, () => {
      assert.deepEqual(assessPassword(password).problems, []);
      assert.ok(isStrongPassword(password));
    });
  }

  it("refuses a password equal to the user name, without quoting either", () => {
    // GIVEN a long password that is the user name WHEN checked THEN the reason says so generically
    const name = "backupoperator-2024-X";
    const failures = checkPassword("users[0].password", name, { userNames: [name] });
    assert.ok(failures.some((f) => f.reason === "must not be the same as the user name"));
    assert.ok(failures.every((f) => !f.reason.includes(name)));
  });

  it("refuses a password that contains the user name", () => {
    assert.ok(
      assessPassword("my-backup-Password-99", { userNames: ["backup"] }).problems.includes(
        "must not contain the user name",
      ),
    );
  });

  it("refuses a per-account forbidden password", () => {
    assert.ok(
      assessPassword("Vendor-Default-123", { forbidden: ["vendor-default-123"] }).problems.some((p) =>
        /default/.test(p),
      ),
    );
  });

  it("says 'is required' for a missing password", () => {
    assert.deepEqual(checkPassword("rootPassword", undefined), [
      { property: "rootPassword", reason: "is required" },
    ]);
  });

  it("lists the handbook's default passwords among the refused ones", () => {
    for (const p of ["sipwise", "administrator"]) {
      assert.ok(KNOWN_DEFAULT_PASSWORDS.includes(p));
    }
  });

  it("never puts the password into a problem (property)", () => {
    fc.assert(
      // A marker no message template contains: finding the password in a problem can only mean it leaked.
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 12 }),
        (a, b, user) => {
          const password = `${a}\u2603${b}`;
          fc.pre(!user.includes("\u2603"));
          for (const problem of assessPassword(password, { userNames: [user] }).problems) {
            assert.ok(!problem.includes(password), `problem quotes the password: ${problem}`);
          }
        },
      ),
    );
  });
});

describe("credentials: login candidates", () => {
  it("tries the desired, current, previous and vendor-default passwords in that order, each once", () => {
    // GIVEN a rotation where the previous equals the vendor default WHEN listed THEN duplicates are dropped
    const c = loginCandidates({
      desired: "new-Pass-12345",
      current: undefined,
      previous: "administrator",
      vendorDefault: "administrator",
    });
    assert.deepEqual(
      c.map((x) => x.source),
      ["desired", "previous"],
    );
  });

  it("names a candidate by its source in messages, never by its value", () => {
    assert.equal(describeCandidate("vendorDefault"), "the vendor's default password");
  });
});

describe("credentials: fingerprints of what the node stores hashed", () => {
  const key = Buffer.alloc(32, 7);
  const otherKey = Buffer.alloc(32, 9);
  const salt = newSalt();
  const hash = "$y$j9T$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEF";

  it("GIVEN a node key WHEN a hash is fingerprinted THEN the same hash matches and another does not", () => {
    const recorded = nodeFingerprint(hash, key);
    assert.match(recorded, /^hmac:/);
    assert.equal(recorded.includes(hash), false);
    assert.equal(matchesFingerprint(hash, recorded, key, salt), true);
    assert.equal(matchesFingerprint(`${hash}x`, recorded, key, salt), false);
  });

  it("GIVEN the node's key is gone or replaced WHEN checked THEN it cannot tell (undefined), never 'unchanged'", () => {
    const recorded = nodeFingerprint(hash, key);
    assert.equal(matchesFingerprint(hash, recorded, undefined, salt), undefined);
    assert.equal(matchesFingerprint(hash, recorded, otherKey, salt), false);
  });

  it("GIVEN a state written before node fingerprints (scrypt under the salt) WHEN checked THEN it still matches", () => {
    const recorded = secretFingerprint(hash, salt);
    assert.equal(matchesFingerprint(hash, recorded, key, salt), true);
    assert.equal(matchesFingerprint(`${hash}x`, recorded, key, salt), false);
  });
});
