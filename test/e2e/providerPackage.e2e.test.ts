import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { projectRoot } from "../../engine/paths";
import { labStatus, nodeActivity } from "../../lab";
import { nodeState } from "./auditNode";
import { nodeShell } from "../support/labTargets";
import { BACKUP_MYSQL_USER } from "../../providers/backup/script";
import { testPki } from "../support/certs";
import { ensureLab } from "../support/lab";
import { labStackConfig } from "../support/labTargets";
import {
  copyStackConfig,
  patchedProviderProject,
  previousLayoutProject,
  removeProject,
  sharedBackend,
} from "../support/projects";
import { disposeStack } from "../support/stacks";

/**
 * Issue 14 on lab node ngcp12 (this file's own), with every feature on and the real engine:
 *
 * - a state written by the previous layout (providers copied into each resource by value) is adopted by the
 *   first `up` of this one without writing anything on the node, and `preview --refresh` then has nothing to
 *   do;
 * - every resource's stored provider is a reference to the package (under 4 KB), and its outputs name the
 *   package version that last wrote the node;
 * - a no-op `preview --refresh` costs one SSH login and at most three commands on the node;
 * - a changed provider package is used by `refresh` and `destroy` without an `up` first.
 */

const NODE = "ngcp12";
const PASSPHRASE = "e2e-only";
const SECRETS = {
  mysqlRoot: "E2e-pk-M1#qT7vX3kP9",
  mysqlUser: "E2e-pk-U2$wL4nZ8cR5",
  systemRoot: "E2e-pk-S3%mJ6tY1hV2",
  webAdmin: "E2e-pk-W4&sG9qW5eN7",
};

interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

async function resources(stack: Stack): Promise<StateResource[]> {
  const exported = await stack.exportStack();
  return (exported.deployment as { resources?: StateResource[] }).resources ?? [];
}

function dynamicResources(all: readonly StateResource[]): StateResource[] {
  return all.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
}

/** The stored provider text of a resource (a plain string: the SDK keeps it in clear). */
function storedProvider(resource: StateResource, part: "inputs" | "outputs"): string {
  const value = resource[part]?.__provider;
  assert.equal(typeof value, "string", `${resource.urn} ${part}.__provider`);
  return value as string;
}

function installedPackageVersion(): string {
  const manifest = join(projectRoot(), "node_modules", "@ngcp-fleet", "runtime", "package.json");
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

function everyFeature(): Record<string, unknown> {
  const lab = labStatus();
  const pki = testPki();
  const deployer = readFileSync(`${lab.deployerKey}.pub`, "utf8").trim();
  const config = labStackConfig(99, {
    performance: { profile: "low" },
    firewall: { rtpengine: { kind: "userChain" }, rollbackSeconds: 5 },
    tls: {
      web: {
        certificate: pki.rsaLeaf.cert,
        chain: pki.intermediate.cert,
        privateKey: pki.rsaLeaf.key,
        hostname: "ngcp.example.test",
      },
    },
    mysql: {
      rootPassword: SECRETS.mysqlRoot,
      users: [
        {
          name: "e2e_package",
          password: SECRETS.mysqlUser,
          grants: [{ privileges: ["SELECT", "LOCK TABLES", "SHOW VIEW", "EVENT", "TRIGGER"], on: "*.*" }],
        },
      ],
    },
    systemAccounts: {
      rootPassword: SECRETS.systemRoot,
      cdrexport: { mode: "password", password: SECRETS.systemRoot.replace("S3", "C4") },
      wipeAuthorizedKeys: true,
      keepKeys: { root: [deployer] },
    },
    supportAccess: { enabled: false },
    webCredentials: { administrator: { password: SECRETS.webAdmin } },
    backup: { schedule: "30 3 * * *", retention: { count: 2 } },
  });
  config.nodes = (config.nodes as { name: string }[]).filter((n) => n.name === NODE);
  return config;
}

async function configure(stack: Stack): Promise<void> {
  const secret = new Set(["tls", "mysql", "systemAccounts", "webCredentials"]);
  await stack.setAllConfig(
    Object.fromEntries(
      Object.entries(everyFeature()).map(([key, value]) => [
        `ngcp-fleet:${key}`,
        { value: typeof value === "string" ? value : JSON.stringify(value), secret: secret.has(key) },
      ]),
    ),
  );
}

describe("e2e: the providers as a package (ngcp12)", function () {
  this.timeout(900_000);
  const stackName = `e2e-package-${process.pid}`;
  let previous: string | undefined;
  let patched: string | undefined;
  let stack: Stack | undefined;
  /** The stack as the previous layout's project opened it (what to clean up with if the adoption fails). */
  let previousStack: Stack | undefined;
  let marks: string | undefined;

  before(async () => {
    await ensureLab(12);
    marks = mkdtempSync(join(tmpdir(), "ngcp-fleet-e2e-package-"));
  });

  after(async function () {
    this.timeout(300_000);
    await disposeStack(stack ?? previousStack, stackName);
    for (const dir of [previous, patched]) {
      removeProject(dir);
    }
    if (marks !== undefined) {
      rmSync(marks, { recursive: true, force: true });
    }
  });

  it("adopts a state of the previous layout: the first up writes nothing on the node but the backup's own MariaDB login, then preview --refresh has nothing to do", async () => {
    // GIVEN the node converged by the previous layout, whose state holds each provider's code by value
    previous = previousLayoutProject();
    const old = (previousStack = await openStack(stackName, {
      root: previous,
      passphrase: PASSPHRASE,
      backend: sharedBackend(),
    }));
    await configure(old);
    await old.up({});
    const before = dynamicResources(await resources(old));
    assert.ok(before.length >= 11, `every feature's resources, got ${before.length}`);
    for (const resource of before) {
      const text = storedProvider(resource, "outputs");
      assert.ok(
        text.length > 8192 && !text.includes("@ngcp-fleet/runtime"),
        `${resource.urn} holds its code by value (${text.length} bytes)`,
      );
    }
    copyStackConfig(stackName, previous, projectRoot());

    // WHEN this layout runs its first `up` on that state
    const since = Math.floor(Date.now() / 1000);
    const nodeBefore = nodeState(NODE, since, [BACKUP_MYSQL_USER]);
    stack = await openStack(stackName, { passphrase: PASSPHRASE, backend: sharedBackend() });
    const result = await stack.up({});

    // THEN every resource took the new provider, and the node is byte for byte what it was (files, rules,
    // MariaDB accounts, config.yml's git history) but for one change of this version: the previous layout
    // dumped as MariaDB root, this one moves the backup to its least-privilege account (issue 16), and nothing
    // else is rewritten for it (the backup script and its cron file stay untouched)
    const changes = result.summary.resourceChanges ?? {};
    assert.equal(changes.create ?? 0, 0, JSON.stringify(changes));
    assert.equal(changes.delete ?? 0, 0, JSON.stringify(changes));
    assert.equal(
      nodeState(NODE, since, [BACKUP_MYSQL_USER]),
      `${nodeBefore}/etc/mysql\n/etc/mysql/ngcp-fleet-backup.cnf\n`,
      "the adoption wrote on the node",
    );
    assert.equal(
      nodeShell(
        NODE,
        "mariadb --defaults-extra-file=/etc/mysql/ngcp-fleet-backup.cnf -N -e 'SELECT CURRENT_USER()'",
      ).trim(),
      `${BACKUP_MYSQL_USER}@localhost`,
    );
    await stack.preview({ refresh: true, expectNoChanges: true });
  });

  it("stores each resource type's provider as a reference to the package, under 4 KB, and the package version that wrote it", async () => {
    assert.ok(stack, "the adoption test ran first");
    const version = installedPackageVersion();
    const after = dynamicResources(await resources(stack));
    const types = new Set(after.map((r) => r.type));
    assert.ok(types.size >= 11, [...types].join(", "));
    for (const resource of after) {
      for (const part of ["inputs", "outputs"] as const) {
        const text = storedProvider(resource, part);
        assert.ok(text.length < 4096, `${resource.urn} ${part}.__provider is ${text.length} bytes`);
        assert.match(text, /require\("@ngcp-fleet\/runtime\/providers\/kinds\/\w+\.js"\)/);
      }
      assert.equal(resource.outputs?.providerVersion, version, `${resource.urn} providerVersion`);
    }
  });

  it("answers a no-op preview --refresh with one SSH login and at most 3 commands on the node", async () => {
    assert.ok(stack, "the adoption test ran first");
    const before = nodeActivity(NODE);
    await stack.preview({ refresh: true, expectNoChanges: true });
    const after = nodeActivity(NODE);
    const commands = after.commands.slice(before.commands.length).map((c) => c.command);
    assert.equal(after.logins - before.logins, 1, "logins");
    assert.ok(commands.length <= 3, `commands: ${JSON.stringify(commands)}`);
  });

  it("uses a changed provider package for refresh and destroy, without an up", async () => {
    assert.ok(stack && marks, "the adoption test ran first");
    const marker = join(marks, "deleted-by-the-new-code");
    // GIVEN the same program with a provider package whose NodeFacts reads and deletes differently
    patched = patchedProviderProject(
      [
        "const facts = exports.providers.nodeFacts;",
        "const read = facts.read;",
        "facts.read = async (id, props) => {",
        "  const result = await read(id, props);",
        "  return { ...result, props: { ...result.props, os: 'read by the patched package' } };",
        "};",
        "const remove = facts.delete;",
        `facts.delete = async (id, props) => { require("fs").writeFileSync(${JSON.stringify(marker)}, id); return remove(id, props); };`,
      ].join("\n"),
    );
    copyStackConfig(stackName, projectRoot(), patched);
    const changed = await openStack(stackName, {
      root: patched,
      passphrase: PASSPHRASE,
      backend: sharedBackend(),
    });

    // WHEN it refreshes THEN the state shows what the new code read
    await changed.refresh({});
    const facts = (await resources(changed)).find((r) => r.type.endsWith(":NodeFacts"));
    assert.equal(facts?.outputs?.os, "read by the patched package");

    // WHEN it destroys THEN the new code's delete ran
    await changed.destroy({});
    assert.ok(existsSync(marker), "the patched delete did not run");
  });
});
