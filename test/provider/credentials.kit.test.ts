import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { parseClientOptionFile, renderClientOptionFile } from "../../providers/mysqlCredentials/optionFile";
import { CREDENTIALS_KEY_FILE } from "../../providers/common/nodeContract";
import { closeAll, sessionFor } from "../../providers/transport/session";
import { ensureLab } from "../support/lab";
import { labTarget, nodeShell } from "../support/labTargets";
import {
  newSalt,
  nodeKeyFor,
  seal,
  secretFingerprint,
  settingsShapeFailures,
  underKey,
  unseal,
} from "../../providers/systemAccounts/providerKit";

/**
 * The pure helpers the credentials providers share (no node needed): what keeps secrets out of outputs,
 * check messages and stack config.
 */
describe("credentials providers: shared helpers", () => {
  it("reads root's option file back as rendered, for any password the policy allows (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 64 }).filter((p) => !/[\0\r\n]/.test(p)),
        (password) => {
          assert.deepEqual(parseClientOptionFile(renderClientOptionFile({ password })), {
            user: "root",
            password,
          });
        },
      ),
    );
  });

  it("ignores user and password lines outside [client]", () => {
    assert.deepEqual(parseClientOptionFile("[mysqld]\npassword = x\n[client]\nuser = backup\n"), {
      user: "backup",
    });
  });

  it("unseals what it sealed under the same key only", () => {
    const key = randomBytes(32);
    const sealed = seal("Web-pass-1#xY", key);
    assert.ok(!sealed.includes("Web-pass-1#xY"));
    assert.equal(unseal(sealed, key), "Web-pass-1#xY");
    assert.equal(unseal(sealed, randomBytes(32)), undefined, "another node's key");
    const parts = sealed.split(".");
    parts[3] = (parts[3][0] === "A" ? "B" : "A") + parts[3].slice(1);
    assert.equal(unseal(parts.join("."), key), undefined, "tampered");
  });

  it("fingerprints equal secrets equally under one salt, differently under another", () => {
    const salt = newSalt();
    assert.equal(secretFingerprint("a-secret", salt), secretFingerprint("a-secret", salt));
    assert.notEqual(secretFingerprint("a-secret", salt), secretFingerprint("b-secret", salt));
    assert.notEqual(secretFingerprint("a-secret", salt), secretFingerprint("a-secret", newSalt()));
    assert.ok(!secretFingerprint("a-secret", salt).includes("a-secret"));
  });

  it("never reports a failure on a bare top-level input name (the engine would print its value)", () => {
    const failures = underKey("mysql", [
      { property: "rootPassword", reason: "weak" },
      { property: "", reason: "whole" },
    ]);
    assert.deepEqual(
      failures.map((f) => f.property),
      ["mysql.rootPassword", "mysql.(settings)"],
    );
    assert.deepEqual(
      settingsShapeFailures("mysql", "not an object", ["rootPassword"]).map((f) => f.property),
      ["mysql.(settings)"],
    );
  });

  it("names a misspelt setting without its value", () => {
    const [failure] = settingsShapeFailures("mysql", { rootPasword: "Secret-123-abc" }, ["rootPassword"]);
    assert.equal(failure.property, "mysql.rootPasword");
    assert.ok(!failure.reason.includes("Secret-123-abc"));
  });
});

describe("credentials providers: the node's credentials key (lab node ngcp6)", function () {
  this.timeout(120_000);
  before(() => ensureLab(6));
  after(() => closeAll());

  it("GIVEN no key WHEN five resources of the node create it at once THEN they all get the one key the node keeps (0600 root)", async () => {
    nodeShell("ngcp6", `rm -f ${CREDENTIALS_KEY_FILE}`);
    const session = await sessionFor(labTarget("ngcp6"));
    const keys = await Promise.all(Array.from({ length: 5 }, () => nodeKeyFor(session)));
    assert.equal(new Set(keys.map((k) => k.toString("hex"))).size, 1);
    assert.equal(keys[0].length, 32);
    assert.equal(nodeShell("ngcp6", `stat -c '%a %U' ${CREDENTIALS_KEY_FILE}`).trim(), "600 root");
    assert.equal(nodeShell("ngcp6", `cat ${CREDENTIALS_KEY_FILE}`).trim(), keys[0].toString("base64"));
    // AND a later call reads it back without writing
    assert.deepEqual(await nodeKeyFor(session), keys[0]);
  });
});
