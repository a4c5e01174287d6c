import { strict as assert } from "node:assert";
import type { WebCredentialsInputs } from "../../providers/webCredentials/planner";
import {
  probeWebLogin,
  webCredentialsProvider as provider,
  webCredentialsUnchanged,
  type WebCredentialsOutputs,
  type WebCredentialsResourceInputs,
} from "../../providers/webCredentials/provider";
import { closeAll, sessionFor } from "../../providers/transport/session";
import {
  NODE,
  WEB_PORT,
  commandLogSince,
  commandLogSize,
  resetWebAdmins,
  setWebPasswordByHand,
  webPasswordIs,
} from "../e2e/credentialsNode";
import { ensureLab } from "../support/lab";
import { labTarget, nodeShell } from "../support/labTargets";

const ADMIN = ["Prov-web-A1#pQ7vX3kT9", "Prov-web-B2$wL4nZ8cR5"];
const SOAP = "Prov-soap-C3%mJ6tY1hV2";

/** The settings as a stack gives them; no `port`: the default, the lab's admin interface on 1443. */
function inputs(settings: WebCredentialsInputs): WebCredentialsResourceInputs {
  return { target: labTarget(NODE), webCredentials: settings };
}

/** `curl` on the node: the status (and with `body`, the body) of a request to its own 127.0.0.1. */
function curl(
  port: number,
  path: string,
  opts: { method?: string; auth?: string; body?: boolean } = {},
): string {
  const method = opts.method ? `-X ${opts.method} ` : "";
  const out = opts.body ? "" : "-o /dev/null ";
  return nodeShell(
    NODE,
    `curl -sk ${method}${out}-w ' %{http_code}' -K - 'https://127.0.0.1:${port}${path}'`,
    opts.auth ? `user = "${opts.auth}"\n` : "",
  ).trim();
}

/**
 * The web credentials provider against a lab node over real SSH and real HTTPS (through the SSH tunnel), with
 * the lab's own admin interface (lab/README.md, "Services daemon") playing the panel's two documented calls.
 * The node's accounts start as `lab up` seeded them (administrator/administrator, ngcpsoap with the node's
 * generated password) and are put back so after.
 */
describe("provider: web administrator and ngcpsoap passwords on a lab node", function () {
  this.timeout(120_000);
  let soapSeed: string;
  let outs: WebCredentialsOutputs;

  before(async () => {
    await ensureLab(6);
    soapSeed = resetWebAdmins();
  });

  after(async () => {
    resetWebAdmins();
    await closeAll();
  });

  it("GIVEN the lab's admin and provisioning interfaces THEN both serve the REST API, the page, and no more", () => {
    for (const port of [WEB_PORT, 2443]) {
      assert.equal(curl(port, "/"), "200", `GET / on ${port}`);
      assert.equal(curl(port, "/api/admins/?login=administrator"), "401", `no credentials on ${port}`);
      assert.equal(
        curl(port, "/api/admins/?login=administrator", { auth: "administrator:administrator" }),
        "200",
      );
      assert.equal(curl(port, "/api/subscribers/", { auth: "administrator:administrator" }), "404");
      assert.equal(
        curl(port, "/api/admins/2", { method: "DELETE", auth: "administrator:administrator" }),
        "404",
      );
    }
    assert.equal(curl(443, "/api/admins/", { auth: "administrator:administrator" }), "404", "not on the CSC");
    assert.equal(
      nodeShell(
        NODE,
        "stat -c '%a %U' /var/lib/ngcp-lab/admins.json /var/lib/ngcp-lab/ngcpsoap.password",
      ).trim(),
      "600 root\n600 root",
    );
    assert.ok(
      !nodeShell(NODE, "cat /var/lib/ngcp-lab/admins.json").includes(soapSeed),
      "hashes, not passwords",
    );
  });

  it("probes a login without changing anything (probeWebLogin, for the audit)", async () => {
    const session = await sessionFor(labTarget(NODE));
    assert.equal(await probeWebLogin(session, WEB_PORT, "administrator", "administrator"), "accepted");
    assert.equal(await probeWebLogin(session, WEB_PORT, "ngcpsoap", "administrator"), "rejected");
    assert.equal(await probeWebLogin(session, 2443, "ngcpsoap", soapSeed), "accepted");
    // The CSC has no API: an error naming the port and status. The password is redacted wherever it
    // appears, here also in the login it equals (the factory password is the login).
    await assert.rejects(probeWebLogin(session, 443, "ngcpsoap", soapSeed), (err: Error) =>
      /node ngcp6: GET \/api\/admins\/\?login=ngcpsoap on port 443 answered 404/.test(err.message),
    );
    assert.ok(webPasswordIs("administrator", "administrator"), "still the factory password");
  });

  it("changes the factory administrator and the installation's ngcpsoap passwords through the REST API", async () => {
    const offset = commandLogSize();
    const news = inputs({
      administrator: { password: ADMIN[0] },
      ngcpsoap: { password: SOAP, currentPassword: soapSeed },
    });
    assert.deepEqual((await provider.check!(news, news)).failures, []);
    outs = (await provider.create(news)).outs as WebCredentialsOutputs;
    assert.ok(webPasswordIs("administrator", ADMIN[0]));
    assert.equal(webPasswordIs("administrator", "administrator"), false);
    assert.ok(webPasswordIs("ngcpsoap", SOAP));
    assert.deepEqual(outs.adminIds, { administrator: 1, ngcpsoap: 2 });
    assert.equal(outs.port, WEB_PORT);
    const log = commandLogSince(offset);
    for (const secret of [...ADMIN, SOAP, soapSeed]) {
      assert.ok(!JSON.stringify(outs).includes(secret), "no password in the outputs");
      assert.ok(!log.includes(secret), "no password on a command line");
    }
  });

  it("changes nothing when the desired passwords are accepted", async () => {
    const news = inputs({ administrator: { password: ADMIN[0] }, ngcpsoap: { password: SOAP } });
    assert.equal(
      (await provider.diff!("id", outs, news)).changes,
      undefined,
      "no verdict: the engine compares inputs",
    );
    assert.equal(await webCredentialsUnchanged(outs, news), true);
    outs = (await provider.update!("id", outs, news)).outs as WebCredentialsOutputs;
    assert.deepEqual(outs.lastChanges, []);
  });

  it("rotates administrator's password, logging in with the one applied last (sealed under the node's key)", async () => {
    const news = inputs({ administrator: { password: ADMIN[1] }, ngcpsoap: { password: SOAP } });
    assert.equal(await webCredentialsUnchanged(outs, news), false);
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
