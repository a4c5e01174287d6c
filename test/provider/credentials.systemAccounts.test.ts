import { strict as assert } from "node:assert";
import { join } from "node:path";
import { labStatus } from "../../lab";
import type { SystemAccountsInputs } from "../../providers/systemAccounts/inputs";
import {
  systemAccountsProvider as provider,
  systemAccountsUnchanged,
  type SystemAccountsOutputs,
  type SystemAccountsResourceInputs,
} from "../../providers/systemAccounts/provider";
import { closeAll } from "../../providers/transport/session";
import {
  NODE,
  commandLogSince,
  commandLogSize,
  keyLogsIn,
  labKeys,
  newKeyPair,
  resetSystemAccounts,
  shadowHash,
  systemPasswordIs,
} from "../e2e/credentialsNode";
import { ensureLab } from "../support/lab";
import { labTarget, nodeShell } from "../support/labTargets";

const ROOT_PW = "Prov-sys-A1#pQ7vX3kT9";
const CDR_PW = "Prov-cdr-B2$wL4nZ8cR5";

/** The system accounts provider against a lab node over real SSH (no engine). */
describe("provider: system accounts on a lab node", function () {
  this.timeout(120_000);
  let outs: SystemAccountsOutputs;
  let inputs: SystemAccountsResourceInputs;

  function settings(extra: Partial<SystemAccountsInputs> = {}): SystemAccountsResourceInputs {
    const keys = labKeys();
    return {
      target: labTarget(NODE),
      systemAccounts: {
        rootPassword: ROOT_PW,
        cdrexport: { mode: "password", password: CDR_PW },
        wipeAuthorizedKeys: true,
        keepKeys: { root: [keys.deployer], sipwise: [keys.support] },
        ...extra,
      },
    };
  }

  before(async () => {
    await ensureLab(6);
    resetSystemAccounts();
  });

  after(async () => {
    resetSystemAccounts();
    await closeAll();
  });

  it("sets root's and cdrexport's passwords through chpasswd's stdin and wipes the image's keys", async () => {
    const imageKey = join(labStatus().labDir, "keys", "vm_image_ed25519");
    assert.ok(keyLogsIn("root", imageKey), "GIVEN the VM image's key logs in as root");
    const offset = commandLogSize();
    inputs = settings();
    const checked = await provider.check!(inputs, inputs);
    assert.deepEqual(checked.failures, []);
    outs = (await provider.create(checked.inputs as SystemAccountsResourceInputs))
      .outs as SystemAccountsOutputs;
    assert.ok(systemPasswordIs("root", ROOT_PW));
    assert.ok(systemPasswordIs("cdrexport", CDR_PW));
    assert.equal(keyLogsIn("root", imageKey), false, "the image's key no longer logs in");
    assert.ok(keyLogsIn("root", labStatus().deployerKey), "the deployer still does");
    assert.doesNotMatch(nodeShell(NODE, "cat /home/sipwise/.ssh/authorized_keys"), /sipwise-vm-image/);
    assert.match(nodeShell(NODE, "cat /home/sipwise/.ssh/authorized_keys"), /sipwise-support@jump/);
    const log = commandLogSince(offset);
    assert.match(log, /chpasswd/);
    for (const secret of [ROOT_PW, CDR_PW]) {
      assert.ok(
        !log.includes(secret) && !JSON.stringify(outs).includes(secret),
        "no password in argv or outputs",
      );
    }
  });

  it("changes nothing when nothing changed (the recorded hashes are live)", async () => {
    assert.equal(
      (await provider.diff!("id", outs, inputs)).changes,
      undefined,
      "no verdict: the engine compares inputs",
    );
    assert.equal(await systemAccountsUnchanged(outs, inputs), true);
    const hash = shadowHash("root");
    const again = (await provider.update!("id", outs, inputs)).outs as SystemAccountsOutputs;
    assert.deepEqual(again.lastChanges, []);
    assert.equal(shadowHash("root"), hash);
  });

  it("reports root's password changed by hand, and puts the stack's back", async () => {
    nodeShell(NODE, "chpasswd", "root:Changed-by-hand-42\n");
    const read = (await provider.read!("id", outs)).props as SystemAccountsOutputs;
    assert.deepEqual(read.drift, [
      "the password of root was changed on the node (its /etc/shadow hash differs from the one the stack set)",
    ]);
    assert.equal((await provider.diff!("id", read, inputs)).changes, true);
    outs = (await provider.update!("id", read, inputs)).outs as SystemAccountsOutputs;
    assert.ok(systemPasswordIs("root", ROOT_PW));
  });

  it("switches cdrexport to key login: its key logs in, its password is locked", async () => {
    const key = newKeyPair("cdr-fetcher");
    inputs = settings({ cdrexport: { mode: "key", authorizedKeys: [key.publicKey] } });
    outs = (await provider.update!("id", outs, inputs)).outs as SystemAccountsOutputs;
    assert.ok(keyLogsIn("cdrexport", key.path), "cdrexport logs in with its key");
    assert.match(shadowHash("cdrexport"), /^!/);
    assert.equal(
      nodeShell(NODE, "stat -c '%a %U' /home/jail/home/cdrexport/.ssh/authorized_keys").trim(),
      "600 cdrexport",
    );
    const read = (await provider.read!("id", outs)).props as SystemAccountsOutputs;
    assert.deepEqual(read.drift, []);
  });

  it("refuses bad input in check, naming the key and never echoing a password", async () => {
    const other = newKeyPair("not-the-deployer").publicKey;
    const bad: SystemAccountsResourceInputs = {
      target: labTarget(NODE),
      systemAccounts: {
        rootPassword: "sipwise",
        cdrexport: {
          mode: "password",
          password: "Zq7Kpv-w",
          authorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAnot+a+key"],
        },
        wipeAuthorizedKeys: true,
        keepKeys: { root: [other] },
      },
    };
    const { failures } = await provider.check!(bad, bad);
    const properties = (failures ?? []).map((f) => f.property);
    for (const expected of [
      "systemAccounts.rootPassword",
      "systemAccounts.cdrexport.password",
      "systemAccounts.cdrexport.authorizedKeys[0]",
      "systemAccounts.keepKeys.root",
    ]) {
      assert.ok(properties.includes(expected), `${expected} in ${properties.join()}`);
    }
    assert.match(JSON.stringify(failures), /deployer's own key/);
    assert.ok(!JSON.stringify(failures).includes("Zq7Kpv-w"));
  });
});
