import { strict as assert } from "node:assert";
import {
  supportAccessProvider as provider,
  type SupportAccessOutputs,
  type SupportAccessResourceInputs,
} from "../../providers/supportAccess/provider";
import { closeAll } from "../../providers/transport/session";
import { NODE, commandLogSince, commandLogSize, resetSupportAccess } from "../e2e/credentialsNode";
import { ensureLab } from "../support/lab";
import { labTarget, nodeShell } from "../support/labTargets";

const TOOL = "/usr/local/sbin/ngcp-support-access";

function inputs(enabled: boolean): SupportAccessResourceInputs {
  return { target: labTarget(NODE), supportAccess: { enabled } };
}

function dpkgStatus(pkg: string): string {
  return nodeShell(NODE, `dpkg-query -W -f='\${Status}' ${pkg} 2>/dev/null || echo not-installed`).trim();
}

/** The support access provider against a lab node over real SSH: the handbook's commands, in its order. */
describe("provider: Sipwise support access on a lab node", function () {
  this.timeout(120_000);
  let outs: SupportAccessOutputs;

  before(async () => {
    await ensureLab(6);
    resetSupportAccess();
  });

  after(async () => {
    nodeShell(NODE, `[ -f ${TOOL}.e2e-saved ] && mv -f ${TOOL}.e2e-saved ${TOOL}; true`);
    resetSupportAccess();
    await closeAll();
  });

  it("disables access with the handbook's two commands, in its order, and reads the state back", async () => {
    const offset = commandLogSize();
    outs = (await provider.create(inputs(false))).outs as SupportAccessOutputs;
    assert.equal(outs.state, "disabled");
    assert.deepEqual(outs.lastCommands, [
      "ngcp-support-access --disable",
      "env DEBIAN_FRONTEND=noninteractive apt-get install -y ngcp-support-noaccess",
    ]);
    const log = commandLogSince(offset);
    const disable = log.indexOf("ngcp-support-access --disable");
    const install = log.indexOf("apt-get install -y ngcp-support-noaccess");
    assert.ok(disable >= 0 && install > disable, "the tool ran before the package swap");
    assert.equal(dpkgStatus("ngcp-support-noaccess"), "install ok installed");
    assert.doesNotMatch(nodeShell(NODE, "cat /home/sipwise/.ssh/authorized_keys"), /sipwise-support@jump/);
  });

  it("runs nothing when the node is already there", async () => {
    assert.equal((await provider.diff!("id", outs, inputs(false))).changes, false);
    const again = (await provider.update!("id", outs, inputs(false))).outs as SupportAccessOutputs;
    assert.deepEqual(again.lastCommands, []);
  });

  it("reports access enabled by hand as drift", async () => {
    nodeShell(
      NODE,
      "apt-get install -y ngcp-support-access >/dev/null && ngcp-support-access --enable >/dev/null",
    );
    const read = (await provider.read!("id", outs)).props as SupportAccessOutputs;
    assert.equal(read.state, "enabled");
    assert.match(read.drift.join(), /support access is enabled on the node, the stack says disabled/);
    assert.equal((await provider.diff!("id", read, inputs(false))).changes, true);
    outs = read;
  });

  it("fails when the tool exits 0 without its success line, and stops the sequence there", async () => {
    nodeShell(
      NODE,
      `cp -p ${TOOL} ${TOOL}.e2e-saved && printf '#!/bin/sh\\necho "Support access NOT disabled: jump host unreachable"\\n' > ${TOOL}`,
    );
    await assert.rejects(
      provider.update!("id", outs, inputs(false)),
      /did not print "Support access successfully disabled\."[\s\S]*NOT disabled/,
    );
    assert.equal(dpkgStatus("ngcp-support-noaccess"), "unknown ok not-installed", "apt-get did not run");
    nodeShell(NODE, `mv -f ${TOOL}.e2e-saved ${TOOL}`);
  });

  it("enables access again with the handbook's commands in the reverse order", async () => {
    nodeShell(
      NODE,
      "ngcp-support-access --disable >/dev/null && apt-get install -y ngcp-support-noaccess >/dev/null",
    );
    outs = (await provider.update!("id", outs, inputs(true))).outs as SupportAccessOutputs;
    assert.equal(outs.state, "enabled");
    assert.deepEqual(outs.lastCommands, [
      "env DEBIAN_FRONTEND=noninteractive apt-get install -y ngcp-support-access",
      "ngcp-support-access --enable",
    ]);
    assert.match(nodeShell(NODE, "cat /home/sipwise/.ssh/authorized_keys"), /sipwise-support@jump/);
  });

  it("refuses a setting that is not a boolean, naming the key", async () => {
    const bad = {
      target: labTarget(NODE),
      supportAccess: { enabled: "no" },
    } as unknown as SupportAccessResourceInputs;
    const { failures } = await provider.check!(bad, bad);
    assert.deepEqual(
      failures?.map((f) => f.property),
      ["supportAccess.enabled"],
    );
  });
});
