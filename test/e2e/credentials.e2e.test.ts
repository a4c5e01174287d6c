import { strict as assert } from "node:assert";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { withMysql } from "../../providers/transport/mysql";
import { closeAll } from "../../providers/transport/session";
import {
  exportedState,
  occurrencesEvenInSecrets,
  sampleProcessList,
  unmarkedOccurrences,
} from "../support/state";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { labStatus } from "../../lab";
import { labStackConfig, labTarget, nodeShell } from "../support/labTargets";
import {
  NODE,
  commandLogSince,
  commandLogSize,
  keyLogsIn,
  labKeys,
  mysqlAsRoot,
  newKeyPair,
  resetMysql,
  resetSupportAccess,
  resetSystemAccounts,
  serviceUserAuth,
  shadowHash,
  systemPasswordIs,
  resetWebAdmins,
  setWebPasswordByHand,
  webPasswordIs,
} from "./credentialsNode";

/** Every secret the stack sets, by generation (rotation = the next one). Distinct, strong, never reused. */
const SECRETS = {
  mysqlRoot: ["E2e-my-A1#pQ7vX3kT9", "E2e-my-B2$wL4nZ8cR5"],
  backup: ["E2e-bk-C3%mJ6tY1hV2", "E2e-bk-D4&sG9qW5eN7"],
  systemRoot: ["E2e-sy-E5*dF2gH8jK3", "E2e-sy-F6(zX1cV7bN4"],
  cdrexport: ["E2e-cd-G7)mQ3wE9rT5"],
  webAdmin: ["E2e-wa-H8_nR4tY2uI6", "E2e-wa-J9+bM5vC3xZ7"],
  soap: ["E2e-so-K1=qW6eR4tY8"],
};
const ALL_SECRETS = Object.values(SECRETS).flat();
/** Too weak for the policy (8 characters), and never accepted anywhere. */
const WEAK = "Zq7Kpv-w";
/** An ed25519 line whose blob has the right type prefix but no 32-byte key. */
const TRUNCATED_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAnot+a+key";
const OTHER_KEY = newKeyPair("not-the-deployer");

/** The `drift` output of each credentials resource, as the last refresh recorded it. */
async function driftByType(stack: Stack): Promise<Record<string, string[]>> {
  const { deployment } = await stack.exportStack();
  const out: Record<string, string[]> = {};
  for (const r of deployment.resources as { type: string; outputs?: { drift?: string[] } }[]) {
    const type = r.type.split(":").pop() ?? "";
    if (["MysqlCredentials", "SystemAccounts", "SupportAccess", "WebCredentials"].includes(type)) {
      out[type] = r.outputs?.drift ?? [];
    }
  }
  return out;
}

/** Whether MariaDB accepts a login (mysql2 over the SSH tunnel, not the code under test's provider). */
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
  } finally {
    await closeAll();
  }
}

/**
 * Handbook 15.1 and 15.3 on the real engine, on one lab node (ngcp6, this file's own): every credential set,
 * rotated and left alone on a second `up`; drift after a change by hand; the NGCP service users untouched;
 * no secret in the node's command log, the engine's output or the exported state; bad input refused in
 * preview naming the key.
 */
describe("e2e: credentials and access (handbook 15.1, 15.3)", function () {
  this.timeout(600_000);
  const stackName = `e2e-credentials-${process.pid}`;
  let stack: Stack;
  let serviceBefore: string;
  /** ngcpsoap's installation-specific password, as `lab up` generated it on the node (read in `before`). */
  let soapSeed = "";
  const cdrKey = newKeyPair("cdr-fetcher@e2e");
  const imageKey = (): string => join(labStatus().labDir, "keys", "vm_image_ed25519");

  /** Sets the stack config: ngcp6 only; `secret` features are stored encrypted, as `--secret` would. */
  async function configure(features: Record<string, unknown>, secret: readonly string[] = []): Promise<void> {
    const config = labStackConfig(99, features);
    config.nodes = (config.nodes as { name: string }[]).filter((n) => n.name === NODE);
    for (const [key, value] of Object.entries(config)) {
      await stack.setConfig(`ngcp-fleet:${key}`, {
        value: typeof value === "string" ? value : JSON.stringify(value),
        secret: secret.includes(key),
      });
    }
    for (const key of ["mysql", "systemAccounts", "supportAccess", "webCredentials"] as const) {
      if (!(key in features)) {
        await stack.removeConfig(`ngcp-fleet:${key}`).catch(() => undefined);
      }
    }
  }

  function mysqlSettings(generation: number): Record<string, unknown> {
    return {
      rootPassword: SECRETS.mysqlRoot[generation],
      users: [
        {
          name: "e2e_backup",
          password: SECRETS.backup[generation],
          grants: [{ privileges: ["SELECT", "LOCK TABLES", "SHOW VIEW", "EVENT", "TRIGGER"], on: "*.*" }],
        },
      ],
    };
  }

  /**
   * Generation 0: cdrexport by password, support access disabled (so sipwise keeps no key); generation 1:
   * cdrexport by key, support access enabled with its key kept by the wipe (the two resources agree).
   */
  function accessSettings(generation: number): Record<string, unknown> {
    const keys = labKeys();
    return {
      systemAccounts: {
        rootPassword: SECRETS.systemRoot[generation],
        cdrexport:
          generation === 0
            ? { mode: "password", password: SECRETS.cdrexport[0] }
            : { mode: "key", authorizedKeys: [cdrKey.publicKey] },
        wipeAuthorizedKeys: true,
        keepKeys: { root: [keys.deployer], sipwise: generation === 0 ? [] : [keys.support] },
      },
      supportAccess: { enabled: generation !== 0 },
    };
  }

  /**
   * The REST API of the lab's admin interface (default port 1443); ngcpsoap adopted once with the password the
   * node was installed with.
   */
  function webSettings(generation: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      administrator: { password: SECRETS.webAdmin[generation], ...extra },
      ngcpsoap:
        generation === 0
          ? { password: SECRETS.soap[0], currentPassword: soapSeed }
          : { password: SECRETS.soap[0] },
    };
  }

  async function allSettings(
    generation: number,
    web: Record<string, unknown> = webSettings(generation),
  ): Promise<void> {
    await configure(
      { mysql: mysqlSettings(generation), ...accessSettings(generation), webCredentials: web },
      ["mysql", "systemAccounts", "webCredentials"],
    );
  }

  before(async () => {
    await ensureLab(6);
    await resetMysql(ALL_SECRETS);
    resetSystemAccounts();
    resetSupportAccess();
    soapSeed = resetWebAdmins();
    serviceBefore = serviceUserAuth();
    stack = await openStack(stackName, { passphrase: "e2e-only" });
  });

  after(async () => {
    await disposeStack(stack, stackName);
    await resetMysql(ALL_SECRETS);
    resetSystemAccounts();
    resetSupportAccess();
    resetWebAdmins();
  });

  // One preview per resource: the engine stops a preview at the first resource whose check fails.
  const badInputs: [string, Record<string, unknown>, RegExp[]][] = [
    [
      "MySQL",
      {
        mysql: {
          rootPassword: "",
          users: [
            { name: "kamailio", password: SECRETS.backup[0] },
            { name: "e2e_report", password: WEAK, grants: [{ privileges: "SELEKT", on: "*.*" }] },
          ],
        },
      },
      [
        /mysql\.rootPassword.*must not be empty/,
        /mysql\.users\[0\]\.name.*kamailio is an NGCP service user/,
        /mysql\.users\[1\]\.password.*too weak/,
        /mysql\.users\[1\]\.grants\[0\]\.privileges.*unknown privilege "SELEKT"/,
      ],
    ],
    [
      "system accounts",
      {
        systemAccounts: {
          rootPassword: "sipwise",
          cdrexport: { mode: "password", password: WEAK, authorizedKeys: [TRUNCATED_KEY] },
          wipeAuthorizedKeys: true,
          keepKeys: { root: [OTHER_KEY.publicKey] },
        },
      },
      [
        /systemAccounts\.rootPassword.*default root password/,
        /systemAccounts\.cdrexport\.password.*too weak/,
        /systemAccounts\.cdrexport\.authorizedKeys\[0\].*malformed ssh-ed25519 key/,
        /systemAccounts\.keepKeys\.root.*deployer's own key/,
      ],
    ],
  ];
  for (const [what, features, expected] of badInputs) {
    it(`refuses bad ${what} input in preview, naming each key, echoing no password, touching nothing`, async () => {
      const rootHash = shadowHash("root");
      await configure(features, ["mysql", "systemAccounts"]);
      await assert.rejects(stack.preview({}), (err: Error) => {
        for (const pattern of expected) {
          assert.match(err.message, pattern);
        }
        assert.ok(
          !err.message.includes(WEAK) && !err.message.includes(SECRETS.backup[0]),
          "no password echoed",
        );
        return true;
      });
      assert.ok(await canLogIn("root", ""), "nothing touched: MariaDB root still has no password");
      assert.equal(shadowHash("root"), rootHash, "nothing touched: root's password");
      assert.ok(keyLogsIn("root", imageKey()), "nothing touched: the image's key still logs in");
    });
  }

  it("refuses a password kept in a stack-config value that is not secret, naming the key", async () => {
    await configure({ mysql: mysqlSettings(0) }, []);
    await assert.rejects(stack.preview({}), (err: Error) => {
      for (const key of ["mysql.rootPassword", "mysql.users[0].password"]) {
        assert.match(
          err.message,
          new RegExp(
            `ngcp-fleet:${key.replace(/[.[\]]/g, "\\$&")}: is a secret but is written in clear in stacks/Pulumi\\.[\\w-]+\\.yaml; make it secret with \`pulumi config set --secret --path 'ngcp-fleet:${key.replace(/[.[\]]/g, "\\$&")}'\``,
          ),
        );
      }
      assert.ok(!err.message.includes(SECRETS.mysqlRoot[0]), "no password echoed");
      return true;
    });
    // GIVEN one leaf made secret with --path: Pulumi then shows the program the whole object as secret, but the
    // root password beside it is still in clear in the stack file, and still refused.
    await stack.removeConfig("ngcp-fleet:mysql");
    for (const [path, value] of [
      ["rootPassword", SECRETS.mysqlRoot[0]],
      ["users[0].name", "e2e_backup"],
      ["users[0].grants[0].privileges", "SELECT"],
      ["users[0].grants[0].on", "*.*"],
    ]) {
      await stack.setConfig(`ngcp-fleet:mysql.${path}`, { value }, true);
    }
    await stack.setConfig(
      "ngcp-fleet:mysql.users[0].password",
      { value: SECRETS.backup[0], secret: true },
      true,
    );
    await assert.rejects(stack.preview({}), (err: Error) => {
      assert.match(err.message, /ngcp-fleet:mysql\.rootPassword: is a secret but is written in clear/);
      assert.doesNotMatch(err.message, /ngcp-fleet:mysql\.users\[0\]\.password:/);
      return true;
    });
  });

  it("sets every secret in one up, with no secret in the node's command or sshd log, the engine's debug output, the outputs or the state", async () => {
    await allSettings(0);
    const offset = commandLogSize();
    const sshdOffset = Number(nodeShell(NODE, "stat -c %s /var/log/sshd.log").trim());
    // The engine and the SDK at their most verbose: every resource request and response is logged.
    let output = "";
    const verbose = {
      onOutput: (out: string) => (output += out),
      onError: (err: string) => (output += err),
      debug: true,
      logToStdErr: true,
      logVerbosity: 9,
    };
    await stack.up(verbose);
    await stack.refresh(verbose);
    await stack.preview(verbose);
    const commands = commandLogSince(offset);
    const sshdLog = nodeShell(NODE, `tail -c +${sshdOffset + 1} /var/log/sshd.log`);
    const state = exportedState(stack);
    const decrypted = await stack.exportStack(); // the Automation API exports with --show-secrets
    const resources = decrypted.deployment.resources as { urn: string; outputs?: unknown }[];
    assert.ok(output.length > 100_000, `GIVEN the verbose engine log was captured (${output.length} bytes)`);
    let engineTraceLines = 0;
    for (const secret of [...ALL_SECRETS, soapSeed]) {
      assert.ok(!commands.includes(secret), "a secret reached a command line on the node");
      assert.ok(!sshdLog.includes(secret), "a secret is in the node's sshd log");
      // The engine's own RPC tracing at -v=9 prints each property it unmarshals, a secret's plaintext
      // included: Pulumi's verbose logs are secret-bearing by design (docs/FAULTS.md, README: Operating). Every
      // other line (ours, the SDK's debug logging of resource requests and responses) must hold none.
      const leaks = output
        .split("\n")
        .filter((line) => line.includes(secret))
        .filter((line) => !/"msg":"(Unm|M)arshaling property for RPC\[/.test(line));
      engineTraceLines += output.split("\n").filter((line) => line.includes(secret)).length - leaks.length;
      assert.deepEqual(
        leaks.map((line) => line.replaceAll(secret, "[THE SECRET]").slice(0, 600)),
        [],
        "a secret is in the engine's output (--debug --logtostderr -v=9) outside the engine's RPC tracing",
      );
      assert.ok(!state.includes(secret), "a secret is in clear in `pulumi stack export`");
      assert.deepEqual(
        unmarkedOccurrences(decrypted, secret),
        [],
        "a secret is stored without being marked secret",
      );
      // Outputs carry fingerprints and set/unset, never the value, not even encrypted. The engine's own record
      // of the default pulumi-nodejs provider is not ours: the engine hands dynamic providers the whole stack
      // config and keeps it as that provider's inputs, secrets inside secret envelopes (checked above).
      assert.deepEqual(
        resources
          .filter((r) => !r.urn.includes("::pulumi:providers:"))
          .flatMap((r) => occurrencesEvenInSecrets(r.outputs, secret, r.urn.split("::").pop())),
        [],
        "a secret is in a resource's outputs (--show-secrets)",
      );
    }
    console.log(`      engine RPC trace lines (-v=9) holding a secret: ${engineTraceLines}`);
    assert.match(commands, /chpasswd/, "GIVEN the log recorded the commands of this up");
    // MySQL (15.3): root's password set and proved, the backup user, root's option file.
    assert.ok(await canLogIn("root", SECRETS.mysqlRoot[0]));
    assert.equal(await canLogIn("root", ""), false);
    assert.ok(await canLogIn("e2e_backup", SECRETS.backup[0]));
    assert.equal(nodeShell(NODE, "stat -c '%a %U' /etc/mysql/ngcp-fleet-root.cnf").trim(), "600 root");
    assert.match(mysqlAsRoot("SELECT 'via the option file'"), /via the option file/);
    // System accounts (15.3): passwords, the wipe that keeps the deployer.
    assert.ok(systemPasswordIs("root", SECRETS.systemRoot[0]));
    assert.equal(systemPasswordIs("root", "sipwise"), false, "the VM image's default is gone");
    assert.ok(systemPasswordIs("cdrexport", SECRETS.cdrexport[0]));
    assert.equal(keyLogsIn("root", imageKey()), false, "the image's key no longer logs in");
    assert.ok(keyLogsIn("root", labStatus().deployerKey), "the deployer still does");
    // Web (15.3): administrator off its factory password, ngcpsoap off the installation's.
    assert.ok(webPasswordIs("administrator", SECRETS.webAdmin[0]));
    assert.equal(webPasswordIs("administrator", "administrator"), false);
    assert.ok(webPasswordIs("ngcpsoap", SECRETS.soap[0]));
    assert.equal(webPasswordIs("ngcpsoap", soapSeed), false, "the installation's ngcpsoap password is gone");
    assert.equal(
      webPasswordIs("administrator", SECRETS.webAdmin[0], 2443),
      true,
      "the provisioning interface shares the accounts",
    );
    // Support access (15.1): the handbook's commands, in its order.
    const disable = commands.indexOf("ngcp-support-access --disable");
    assert.ok(disable >= 0 && commands.indexOf("apt-get install -y ngcp-support-noaccess") > disable);
    assert.equal(
      nodeShell(NODE, "dpkg-query -W -f='${Status}' ngcp-support-noaccess"),
      "install ok installed",
    );
    assert.equal(serviceUserAuth(), serviceBefore, "service users untouched");
  });

  it("changes nothing on a second up", async () => {
    const hashes = [shadowHash("root"), shadowHash("cdrexport")];
    const webAdmins = nodeShell(NODE, "sha256sum /var/lib/ngcp-lab/admins.json");
    await stack.up({ expectNoChanges: true });
    assert.deepEqual([shadowHash("root"), shadowHash("cdrexport")], hashes);
    assert.equal(
      nodeShell(NODE, "sha256sum /var/lib/ngcp-lab/admins.json"),
      webAdmins,
      "no web password patched (a PATCH rehashes with a fresh salt)",
    );
    assert.equal(serviceUserAuth(), serviceBefore, "service users untouched");
  });

  it("rotates every secret, moves cdrexport to key login and enables support access, no secret in any process's arguments meanwhile", async () => {
    await allSettings(1);
    const processes = sampleProcessList();
    await stack.up({});
    const seen = processes.stop();
    assert.match(seen, /pulumi/, "GIVEN the sampler saw the engine's processes");
    for (const secret of ALL_SECRETS) {
      assert.ok(
        !seen.includes(secret),
        "a secret is in a process's arguments (deployer or node) during the rotation",
      );
    }
    assert.ok(await canLogIn("root", SECRETS.mysqlRoot[1]));
    assert.equal(await canLogIn("root", SECRETS.mysqlRoot[0]), false);
    assert.ok(await canLogIn("e2e_backup", SECRETS.backup[1]));
    assert.ok(systemPasswordIs("root", SECRETS.systemRoot[1]));
    assert.ok(keyLogsIn("cdrexport", cdrKey.path), "cdrexport logs in with its key");
    assert.match(shadowHash("cdrexport"), /^!/, "cdrexport's password login is locked");
    assert.equal(nodeShell(NODE, "dpkg-query -W -f='${Status}' ngcp-support-access"), "install ok installed");
    assert.match(nodeShell(NODE, "cat /home/sipwise/.ssh/authorized_keys"), /sipwise-support@jump/);
    assert.ok(webPasswordIs("administrator", SECRETS.webAdmin[1]));
    assert.ok(
      webPasswordIs("ngcpsoap", SECRETS.soap[0]),
      "ngcpsoap, no longer given its current password, kept",
    );
    assert.equal(serviceUserAuth(), serviceBefore, "service users untouched");
  });

  it("reports passwords changed by hand on refresh, and the next up puts the stack's back", async () => {
    const inThePanel = "Changed-in-the-panel-44";
    mysqlAsRoot("ALTER USER e2e_backup@localhost IDENTIFIED BY 'Changed-by-hand-42'");
    nodeShell(NODE, "chpasswd", "root:Changed-by-hand-43\n");
    setWebPasswordByHand("administrator", inThePanel);
    await stack.refresh({});
    assert.deepEqual(await driftByType(stack), {
      MysqlCredentials: ["the password of e2e_backup@localhost was changed outside the stack"],
      SystemAccounts: [
        "the password of root was changed on the node (its /etc/shadow hash differs from the one the stack set)",
      ],
      SupportAccess: [],
      WebCredentials: ["the password of administrator was changed outside the stack"],
    });
    // The panel's password can only be changed by logging in: the operator gives the one it has now, once.
    await allSettings(1, webSettings(1, { currentPassword: inThePanel }));
    const up = await stack.up({});
    const updated = up.summary.resourceChanges?.update ?? 0;
    assert.ok(
      updated >= 3,
      `the drifted resources are updated: ${JSON.stringify(up.summary.resourceChanges)}`,
    );
    assert.ok(await canLogIn("e2e_backup", SECRETS.backup[1]));
    assert.ok(systemPasswordIs("root", SECRETS.systemRoot[1]));
    assert.ok(webPasswordIs("administrator", SECRETS.webAdmin[1]));
    assert.equal(serviceUserAuth(), serviceBefore, "service users untouched");
  });
});
