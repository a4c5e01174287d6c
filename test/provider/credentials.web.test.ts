import { strict as assert } from "node:assert";
import type { WebCredentialsInputs } from "../../providers/webCredentials/planner";
import {
  webCredentialsProvider as provider,
  type WebCredentialsOutputs,
  type WebCredentialsResourceInputs,
} from "../../providers/webCredentials/provider";
import { closeAll } from "../../providers/transport/session";
import {
  NODE,
  REST_PORT,
  commandLogSince,
  commandLogSize,
  setWebPasswordByHand,
  startRestStandin,
  stopRestStandin,
  webPasswordIs,
} from "../e2e/credentialsNode";
import { ensureLab } from "../support/lab";
import { labTarget } from "../support/labTargets";

const SOAP_INITIAL = "Soap-initial-9vQ2#xLm4Tz";
const ADMIN = ["Prov-web-A1#pQ7vX3kT9", "Prov-web-B2$wL4nZ8cR5"];
const SOAP = "Prov-soap-C3%mJ6tY1hV2";

function inputs(settings: WebCredentialsInputs): WebCredentialsResourceInputs {
  return { target: labTarget(NODE), webCredentials: { port: REST_PORT, ...settings } };
}

/**
 * The web credentials provider against a lab node over real SSH and real HTTPS (through the SSH tunnel), with
 * the test-local REST stand-in (test/e2e/credentialsNode.ts) playing the panel's two documented calls.
 */
describe("provider: web administrator and ngcpsoap passwords on a lab node", function () {
  this.timeout(120_000);
  let pid: number | undefined;
  let outs: WebCredentialsOutputs;

  before(async () => {
    await ensureLab(6);
    pid = startRestStandin([
      { id: 1, login: "administrator", password: "administrator" },
      { id: 7, login: "ngcpsoap", password: SOAP_INITIAL },
    ]);
  });

  after(async () => {
    stopRestStandin(pid);
    await closeAll();
  });

  it("changes the factory administrator and the installation's ngcpsoap passwords through the REST API", async () => {
    const offset = commandLogSize();
    const news = inputs({
      administrator: { password: ADMIN[0] },
      ngcpsoap: { password: SOAP, currentPassword: SOAP_INITIAL },
    });
    assert.deepEqual((await provider.check!(news, news)).failures, []);
    outs = (await provider.create(news)).outs as WebCredentialsOutputs;
    assert.ok(webPasswordIs("administrator", ADMIN[0]));
    assert.equal(webPasswordIs("administrator", "administrator"), false);
    assert.ok(webPasswordIs("ngcpsoap", SOAP));
    assert.deepEqual(outs.adminIds, { administrator: 1, ngcpsoap: 7 });
    const log = commandLogSince(offset);
    for (const secret of [...ADMIN, SOAP, SOAP_INITIAL]) {
      assert.ok(!JSON.stringify(outs).includes(secret), "no password in the outputs");
      assert.ok(!log.includes(secret), "no password on a command line");
    }
  });

  it("changes nothing when the desired passwords are accepted", async () => {
    const news = inputs({ administrator: { password: ADMIN[0] }, ngcpsoap: { password: SOAP } });
    assert.equal((await provider.diff!("id", outs, news)).changes, false);
    outs = (await provider.update!("id", outs, news)).outs as WebCredentialsOutputs;
    assert.deepEqual(outs.lastChanges, []);
  });

  it("rotates administrator's password, logging in with the one applied last (sealed under the node's key)", async () => {
    const news = inputs({ administrator: { password: ADMIN[1] }, ngcpsoap: { password: SOAP } });
    assert.equal((await provider.diff!("id", outs, news)).changes, true);
    outs = (await provider.update!("id", outs, news)).outs as WebCredentialsOutputs;
    assert.deepEqual(outs.lastChanges, [
      "set the password of administrator (logged in with the previously applied password)",
    ]);
    assert.ok(webPasswordIs("administrator", ADMIN[1]));
  });

  it("reports a password changed in the web interface, and asks for currentPassword to take it back", async () => {
    const byHand = "Changed-in-the-panel-45";
    setWebPasswordByHand("administrator", byHand);
    const read = (await provider.read!("id", outs)).props as WebCredentialsOutputs;
    assert.deepEqual(read.drift, ["the password of administrator was changed outside the stack"]);
    const news = inputs({ administrator: { password: ADMIN[1] }, ngcpsoap: { password: SOAP } });
    await assert.rejects(
      provider.update!("id", read, news),
      (err: Error) => /administrator\.currentPassword/.test(err.message) && !err.message.includes(ADMIN[1]),
    );
    const adopt = inputs({
      administrator: { password: ADMIN[1], currentPassword: byHand },
      ngcpsoap: { password: SOAP },
    });
    outs = (await provider.update!("id", read, adopt)).outs as WebCredentialsOutputs;
    assert.ok(webPasswordIs("administrator", ADMIN[1]));
  });

  it("refuses the factory default, a weak password, an unknown key and a bad port, naming each key", async () => {
    const bad = {
      target: labTarget(NODE),
      webCredentials: {
        administrator: { password: "administrator" },
        ngcpsoap: { password: "Zq7Kpv-w", pasword: "x" },
        port: 70000,
      },
    } as unknown as WebCredentialsResourceInputs;
    const properties = ((await provider.check!(bad, bad)).failures ?? []).map((f) => f.property);
    for (const expected of [
      "webCredentials.administrator.password",
      "webCredentials.ngcpsoap.password",
      "webCredentials.ngcpsoap.pasword",
      "webCredentials.port",
    ]) {
      assert.ok(properties.includes(expected), `${expected} in ${properties.join()}`);
    }
  });
});
