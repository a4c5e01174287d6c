import { strict as assert } from "node:assert";
import {
  mysqlCredentialsProvider as provider,
  mysqlUnchanged,
  type MysqlCredentialsOutputs,
  type MysqlCredentialsResourceInputs,
} from "../../providers/mysqlCredentials/provider";
import type { MysqlCredentialsInputs } from "../../providers/mysqlCredentials/inputs";
import { withMysql } from "../../providers/transport/mysql";
import { closeAll } from "../../providers/transport/session";
import { NODE, mysqlAsRoot, resetMysql, serviceUserAuth } from "../e2e/credentialsNode";
import { ensureLab } from "../support/lab";
import { labTarget, nodeShell } from "../support/labTargets";

const ROOT_1 = "Prov-rt-1-x7#kQ2mZ";
const ROOT_2 = "Prov-rt-2-Lp9$wE4r";
const BACKUP = "Prov-backup-Tq3!vN8s";

/** Whether MariaDB accepts a login (mysql2 over the SSH tunnel). */
async function canLogIn(user: string, password: string): Promise<boolean> {
  try {
    await withMysql(labTarget(NODE), { user, password }, async (db) => {
      await db.query("SELECT 1");
    });
    return true;
  } catch (err) {
    if (/Access denied/.test((err as Error).message)) {
      return false;
    }
    throw err;
  }
}

/**
 * The MySQL credentials provider's methods against a lab node over real SSH (no engine): the quickest
 * proof of each step; test/e2e/credentials.e2e.test.ts proves the same through `pulumi up`.
 */
describe("provider: MySQL credentials on a lab node", function () {
  this.timeout(120_000);
  let inputs: MysqlCredentialsResourceInputs;
  let outs: MysqlCredentialsOutputs;
  let serviceBefore: string;

  function settings(
    rootPassword: string,
    extra: Partial<MysqlCredentialsInputs> = {},
  ): MysqlCredentialsResourceInputs {
    return {
      target: labTarget(NODE),
      mysql: {
        rootPassword,
        users: [
          {
            name: "e2e_backup",
            password: BACKUP,
            grants: [{ privileges: "SELECT, LOCK TABLES", on: "*.*" }],
          },
        ],
        ...extra,
      },
    };
  }

  before(async () => {
    await ensureLab(6);
    await resetMysql([ROOT_1, ROOT_2]);
    serviceBefore = serviceUserAuth();
  });

  after(async () => {
    await resetMysql([ROOT_1, ROOT_2]);
    await closeAll();
  });

  it("sets root's password on a fresh CE, creates the backup user, writes the 0600 option file", async () => {
    inputs = settings(ROOT_1);
    const checked = await provider.check!(inputs, inputs);
    assert.deepEqual(checked.failures, []);
    const created = await provider.create(checked.inputs as MysqlCredentialsResourceInputs);
    outs = created.outs as MysqlCredentialsOutputs;
    assert.deepEqual(outs.rootAccounts, ["root@localhost"]);
    for (const secret of [ROOT_1, BACKUP]) {
      assert.ok(!JSON.stringify(outs).includes(secret), "outputs hold no password");
    }
    assert.deepEqual(outs.accounts, ["e2e_backup@localhost"]);
    assert.ok(await canLogIn("root", ROOT_1));
    assert.equal(await canLogIn("root", ""), false, "root no longer logs in without a password");
    assert.ok(await canLogIn("e2e_backup", BACKUP));
    assert.equal(nodeShell(NODE, "stat -c '%a %U' /etc/mysql/ngcp-fleet-root.cnf").trim(), "600 root");
    assert.match(mysqlAsRoot("SHOW GRANTS FOR e2e_backup@localhost"), /GRANT SELECT, LOCK TABLES ON \*\.\*/);
    assert.equal(serviceUserAuth(), serviceBefore, "service users untouched");
  });

  it("plans nothing when nothing changed", async () => {
    // No verdict from diff (the engine compares the stored inputs); the fingerprints agree.
    assert.equal((await provider.diff!("id", outs, inputs)).changes, undefined);
    assert.equal(await mysqlUnchanged(outs, inputs), true);
    const updated = await provider.update!("id", outs, inputs);
    assert.deepEqual((updated.outs as MysqlCredentialsOutputs).lastChanges, []);
  });

  it("rotates root's password, logging in with the previous one", async () => {
    const news = settings(ROOT_2);
    assert.equal(await mysqlUnchanged(outs, news), false);
    outs = (await provider.update!("id", outs, news)).outs as MysqlCredentialsOutputs;
    inputs = news;
    assert.deepEqual(outs.lastChanges, ["set the password of root@localhost"]);
    assert.ok(await canLogIn("root", ROOT_2));
    assert.equal(await canLogIn("root", ROOT_1), false);
    assert.equal(serviceUserAuth(), serviceBefore, "service users untouched");
  });

  it("reports a grant revoked by hand as drift on read", async () => {
    mysqlAsRoot("REVOKE LOCK TABLES ON *.* FROM e2e_backup@localhost");
    const read = await provider.read!("id", outs);
    const drift = (read.props as MysqlCredentialsOutputs).drift;
    assert.deepEqual(drift, ["grant LOCK TABLES on *.* to e2e_backup@localhost (changed outside the stack)"]);
    assert.equal((await provider.diff!("id", read.props as MysqlCredentialsOutputs, inputs)).changes, true);
    outs = (await provider.update!("id", read.props as MysqlCredentialsOutputs, inputs))
      .outs as MysqlCredentialsOutputs;
    assert.match(mysqlAsRoot("SHOW GRANTS FOR e2e_backup@localhost"), /GRANT SELECT, LOCK TABLES ON \*\.\*/);
  });

  it("reports root's password changed by hand, and names mysql.currentRootPassword to recover", async () => {
    const manual = "Manual-rt-3-Zx8%cV1b";
    await withMysql(labTarget(NODE), { user: "root", password: ROOT_2 }, async (db) => {
      await db.query("ALTER USER `root`@`localhost` IDENTIFIED BY ?", [manual]);
    });
    const read = await provider.read!("id", outs);
    assert.deepEqual((read.props as MysqlCredentialsOutputs).drift, [
      "MariaDB root refuses the password of /etc/mysql/ngcp-fleet-root.cnf (changed outside the stack)",
    ]);
    await assert.rejects(
      provider.update!("id", read.props as MysqlCredentialsOutputs, inputs),
      (err: Error) => /mysql\.currentRootPassword/.test(err.message) && !err.message.includes(manual),
    );
    const adopt = settings(ROOT_2, { currentRootPassword: manual });
    outs = (await provider.update!("id", read.props as MysqlCredentialsOutputs, adopt))
      .outs as MysqlCredentialsOutputs;
    assert.ok(await canLogIn("root", ROOT_2));
  });

  it("refuses bad input in check, naming the key and never echoing a password", async () => {
    const bad: MysqlCredentialsResourceInputs = {
      target: labTarget(NODE),
      mysql: {
        rootPassword: "Zq7Kpv",
        users: [
          { name: "kamailio", password: BACKUP },
          { name: "e2e_report", password: "", grants: [{ privileges: "SELEKT", on: "*.*" }] },
        ],
      },
    };
    const { failures } = await provider.check!(bad, bad);
    const properties = (failures ?? []).map((f) => f.property);
    assert.ok(properties.includes("mysql.rootPassword"), properties.join());
    assert.ok(properties.includes("mysql.users[0].name"), properties.join());
    assert.ok(properties.includes("mysql.users[1].password"), properties.join());
    assert.ok(properties.includes("mysql.users[1].grants[0].privileges"), properties.join());
    assert.ok(!JSON.stringify(failures).includes(BACKUP));
    assert.ok(!JSON.stringify(failures).includes("Zq7Kpv"));
  });

  it("drops the accounts it created on delete, and leaves root's password", async () => {
    await provider.delete!("id", outs);
    assert.equal(await canLogIn("e2e_backup", BACKUP), false);
    assert.ok(await canLogIn("root", ROOT_2));
  });
});
