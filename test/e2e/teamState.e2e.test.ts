/**
 * Shared team state (README: Team set-up): a real PostgreSQL server (Debian's, its own cluster on loopback,
 * TLS with sslmode=verify-full), a least-privilege role that owns one database, and clones of this project
 * that run the real engine against it through `ngcp-fleet env --backend`. Lab node ngcp8.
 */
import { strict as assert } from "node:assert";
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, copyFileSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureLab } from "../support/lab";
import { labStackConfig } from "../support/labTargets";
import { startPostgres, type TestPostgres } from "../support/postgres";
import { parseExports, warningLines } from "../support/output";
import { cloneProject, removeProject } from "../support/projects";

const NODE = "ngcp8";
const ROLE = "ngcp_fleet";
const DATABASE = "ngcp_fleet_state";
const STACK = `e2e-team-${process.pid}`;
const PASSPHRASE = `e2e-team-${randomBytes(8).toString("hex")}`;
const ROLE_PASSWORD = randomBytes(18).toString("base64url");

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The environment without any backend of the test process's own. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NGCP_FLEET_BACKEND;
  delete env.PULUMI_BACKEND_URL;
  delete env.PULUMI_CONFIG_PASSPHRASE;
  return env;
}

describe("e2e: shared team state in PostgreSQL (two clones, one stack)", function () {
  this.timeout(1_200_000);
  let pg: TestPostgres | undefined;
  let backend = "";
  const clones: string[] = [];

  /** What a teammate's shell has after `eval "$(ngcp-fleet env --stack S --backend URL)"`. */
  async function teamEnv(clone: string, url: string | null = backend): Promise<NodeJS.ProcessEnv> {
    const args = [
      join(clone, "bin", "ngcp-fleet"),
      "env",
      "--stack",
      STACK,
      ...(url ? ["--backend", url] : []),
    ];
    const printed = await run(process.execPath, args, clone, baseEnv());
    assert.equal(printed.code, 0, printed.stderr);
    return {
      ...baseEnv(),
      ...parseExports(printed.stdout),
      PGPASSWORD: ROLE_PASSWORD,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    };
  }

  function pulumi(clone: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
    const argv = [...args, "--stack", STACK, "--non-interactive"];
    return run(join(clone, ".pulumi", "bin", "pulumi"), argv, clone, env).then((result) => {
      // NGCP_FLEET_TRANSCRIPT=<file>: the session as an operator would see it (for the note).
      const transcript = process.env.NGCP_FLEET_TRANSCRIPT;
      if (transcript) {
        const tail = `${result.stdout}${result.stderr}`.trim().split("\n").slice(-6).join("\n");
        appendFileSync(
          transcript,
          `[clone ${clones.indexOf(clone) + 1}]$ pulumi ${argv.join(" ")}\n${tail}\n(exit ${result.code})\n\n`,
        );
      }
      return result;
    });
  }

  /** The stack file travels between clones as it does in a team: through git. */
  function pullStackFile(from: string, to: string): void {
    copyFileSync(join(from, "stacks", `Pulumi.${STACK}.yaml`), join(to, "stacks", `Pulumi.${STACK}.yaml`));
  }

  const ok = (result: Run, what: string) =>
    assert.equal(result.code, 0, `${what}:\n${result.stderr.slice(-3000)}`);

  before(async () => {
    await ensureLab(8);
    pg = await startPostgres();
    // README "Team set-up": the database, its role (owner of this database only), no other database for it.
    pg.admin(`
      CREATE ROLE ${ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${ROLE_PASSWORD}';
      CREATE DATABASE ${DATABASE} OWNER ${ROLE};
      REVOKE ALL ON DATABASE ${DATABASE} FROM PUBLIC;
      REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
      REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
      CREATE DATABASE other_app;
      REVOKE CONNECT ON DATABASE other_app FROM PUBLIC;
    `);
    pg.admin(
      "CREATE TABLE customers (id int, card text); INSERT INTO customers VALUES (1, '4111');",
      "other_app",
    );
    backend = `postgres://${ROLE}@127.0.0.1:${pg.port}/${DATABASE}?sslmode=verify-full&sslrootcert=${pg.caFile}`;
  });

  after(async function () {
    this.timeout(600_000);
    const last = clones.at(-1);
    if (last !== undefined && pg !== undefined) {
      const env = await teamEnv(last).catch(() => undefined);
      if (env !== undefined) {
        await pulumi(last, env, "destroy", "--yes", "--skip-preview");
        await pulumi(last, env, "stack", "rm", "--yes", "--force");
      }
    }
    pg?.stop();
    for (const clone of clones) {
      removeProject(clone);
    }
  });

  it("moves a converged stack from a clone's local file backend to PostgreSQL, and nothing changed", async () => {
    const a = cloneProject();
    clones.push(a);
    // GIVEN a stack converged on clone A's own file backend
    const local = await teamEnv(a, null);
    assert.equal(local.PULUMI_BACKEND_URL, `file://${join(a, ".pulumi", "state")}`);
    ok(await pulumi(a, local, "stack", "init", "--secrets-provider", "passphrase"), "stack init (file)");
    const config = labStackConfig(8, { performance: { profile: "low" } });
    config.nodes = (config.nodes as { name: string }[]).filter((n) => n.name === NODE);
    for (const [key, value] of Object.entries(config)) {
      ok(
        await pulumi(
          a,
          local,
          "config",
          "set",
          `ngcp-fleet:${key}`,
          typeof value === "string" ? value : JSON.stringify(value),
        ),
        `config set ${key}`,
      );
    }
    ok(await pulumi(a, local, "up", "--yes", "--skip-preview"), "up on the file backend");
    // WHEN it is exported and imported into the team's database (README: Team set-up, step 4)
    const exported = join(a, "state-export.json");
    ok(await pulumi(a, local, "stack", "export", "--file", exported), "stack export");
    const team = await teamEnv(a);
    assert.equal(team.PULUMI_BACKEND_URL, backend);
    ok(await pulumi(a, team, "stack", "init", "--secrets-provider", "passphrase"), "stack init (postgres)");
    ok(await pulumi(a, team, "stack", "import", "--file", exported), "stack import");
    // THEN the engine finds nothing to do against the node, and the database holds the stack
    ok(await pulumi(a, team, "preview", "--expect-no-changes"), "preview --expect-no-changes after the move");
    const resources = (JSON.parse(readFileSync(exported, "utf8")) as { deployment: { resources: unknown[] } })
      .deployment.resources.length;
    assert.ok(resources >= 3, `the moved stack has its resources (${resources})`);
    assert.match(
      pg!.admin(`SELECT key FROM pulumi_state WHERE key LIKE '%${STACK}%'`, DATABASE),
      new RegExp(STACK),
    );
  });

  it("a second clone sees the first's state, converges a change, and the first then has nothing to do", async () => {
    const [a] = clones;
    const b = cloneProject();
    clones.push(b);
    pullStackFile(a, b);
    const envB = await teamEnv(b);
    ok(await pulumi(b, envB, "preview", "--expect-no-changes"), "B: preview --expect-no-changes");
    ok(
      await pulumi(b, envB, "config", "set", "--path", "ngcp-fleet:performance.profile", "high"),
      "B: config set",
    );
    const up = await pulumi(b, envB, "up", "--yes", "--skip-preview");
    ok(up, "B: up");
    // A clean run prints no warning (issue 17 item 3), on a shared backend too.
    assert.deepEqual(warningLines(`${up.stdout}\n${up.stderr}`), [], up.stdout);
    assert.match(up.stdout, /updated|~ /, "B changed the node");
    pullStackFile(b, a);
    const envA = await teamEnv(a);
    ok(
      await pulumi(a, envA, "preview", "--expect-no-changes"),
      "A (after git pull): preview --expect-no-changes",
    );
  });

  it("two `up` at once are serialized by the backend's lock: one runs, the other is refused and succeeds after", async () => {
    const [a, b] = clones;
    const [envA, envB] = [await teamEnv(a), await teamEnv(b)];
    // WHEN A's update holds the lock (its row is in the database) and B starts one
    const first = pulumi(a, envA, "up", "--yes", "--skip-preview");
    const deadline = Date.now() + 120_000;
    while (!/locks/.test(pg!.admin("SELECT key FROM pulumi_state WHERE key LIKE '%locks%'", DATABASE))) {
      assert.ok(Date.now() < deadline, "A's update never took the lock");
      execFileSync("sleep", ["0.05"]);
    }
    const second = await pulumi(b, envB, "up", "--yes", "--skip-preview");
    // THEN B is refused while A runs, A finishes, and B's retry runs on A's state
    assert.notEqual(second.code, 0, "B's update must not run beside A's");
    assert.match(second.stderr + second.stdout, /locked/i);
    ok(await first, "A: up");
    ok(await pulumi(b, envB, "up", "--yes", "--skip-preview"), "B: up after A");
    ok(await pulumi(b, envB, "preview", "--expect-no-changes"), "B: nothing left to do");
  });

  it("deleting a clone loses nothing: a fresh clone finds the stack and its history", async () => {
    const [a, b] = clones;
    removeProject(a);
    clones.splice(clones.indexOf(a), 1);
    const c = cloneProject();
    clones.push(c);
    pullStackFile(b, c);
    const envC = await teamEnv(c);
    ok(await pulumi(c, envC, "preview", "--expect-no-changes"), "C: preview --expect-no-changes");
    const history = await pulumi(c, envC, "stack", "history", "--json");
    ok(history, "C: stack history");
    assert.ok(
      (JSON.parse(history.stdout) as unknown[]).length >= 3,
      "every update made on the shared backend is in the history",
    );
  });

  it("the role reaches its own database only, and its password is in no URL, file or argument", async () => {
    const own = pg!.asRole(ROLE, ROLE_PASSWORD, DATABASE, "SELECT count(*) FROM pulumi_state");
    assert.equal(own.status, 0, own.output);
    for (const other of ["postgres", "other_app"]) {
      const denied = pg!.asRole(ROLE, ROLE_PASSWORD, other, "SELECT 1");
      assert.notEqual(denied.status, 0, `${other} must be closed to ${ROLE}`);
      assert.match(denied.output, /permission denied for database|not have CONNECT privilege/);
    }
    for (const sql of [
      "CREATE DATABASE stolen",
      "CREATE ROLE intruder",
      "SELECT pg_read_file('pg_hba.conf')",
    ]) {
      const refused = pg!.asRole(ROLE, ROLE_PASSWORD, DATABASE, sql);
      assert.notEqual(refused.status, 0, `${sql} must be refused`);
    }
    // Without TLS the server refuses the role outright (hostssl only).
    const plain = execFileSync(
      "sh",
      [
        "-c",
        `psql "host=127.0.0.1 port=${pg!.port} dbname=${DATABASE} user=${ROLE} sslmode=disable" -c 'SELECT 1' 2>&1 || true`,
      ],
      {
        env: { ...process.env, PGPASSWORD: ROLE_PASSWORD },
      },
    ).toString();
    assert.match(plain, /no pg_hba\.conf entry|SSL off/);

    // A URL that carries the password is refused before any engine command runs.
    const [clone] = clones;
    const withPassword = await run(
      process.execPath,
      [
        join(clone, "bin", "ngcp-fleet"),
        "env",
        "--backend",
        backend.replace(`${ROLE}@`, `${ROLE}:${ROLE_PASSWORD}@`),
      ],
      clone,
      baseEnv(),
    );
    assert.notEqual(withPassword.code, 0);
    assert.match(
      withPassword.stderr,
      /holds a password: leave it out and give it to the engine in PGPASSWORD/,
    );
    assert.ok(!withPassword.stderr.includes(ROLE_PASSWORD), "the refusal does not echo the password");
    // No file of the clone (its PULUMI_HOME included) holds the password.
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const path = join(dir, e.name);
        if (e.isSymbolicLink() || (e.isDirectory() && (e.name === "dist" || e.name === "node_modules"))) {
          return [];
        }
        return e.isDirectory() ? files(path) : statSync(path).size < 8 * 1024 * 1024 ? [path] : [];
      });
    for (const file of files(clone)) {
      assert.ok(!readFileSync(file, "utf8").includes(ROLE_PASSWORD), `${file} holds the role's password`);
    }
  });
});
