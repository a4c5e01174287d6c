import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isMap, parseDocument } from "yaml";
import {
  passwordFromBytes,
  parseSipwiseCnf,
  renderSipwiseCnf,
  SERVICE_USERS,
} from "../core/seed/credentials";
import { createServiceUsersSql, schemaSql, SEEDED_DATABASES } from "../core/seed/database";
import { atomicWrite, CONFIG_DIR, die, git, out, reloadOrStartServices, sh } from "./common";

/**
 * Stand-in for `ngcp-reset-db` (handbook 15.6): wipes the NGCP databases back to their empty original
 * state, gives the NGCP service users new unique passwords (MariaDB, constants.yml, sipwise.cnf) and
 * restarts the services. It authenticates as the main service user from /etc/mysql/sipwise.cnf, so it
 * works whatever MySQL root's password is. No password is ever printed or put on a command line.
 * Contract: lab/README.md.
 */

const SIPWISE_CNF = "/etc/mysql/sipwise.cnf";
const CONSTANTS = path.join(CONFIG_DIR, "constants.yml");

function mariadb(user: string, password: string, sql: string): void {
  // Credentials go in a 0600 option file, never in argv (visible to every user in /proc).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ngcp-reset-db-"));
  const cnf = path.join(dir, "client.cnf");
  try {
    fs.writeFileSync(cnf, `[client]\nuser=${user}\npassword=${password}\nsocket=/run/mysqld/mysqld.sock\n`, {
      mode: 0o600,
    });
    sh("mariadb", [`--defaults-extra-file=${cnf}`, "--batch"], { input: sql });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function main(argv: string[]): void {
  if (argv.includes("--help") || argv.includes("-h")) {
    out(
      "Usage: ngcp-reset-db\n\nResets the NGCP databases to their original state and assigns new unique passwords to the NGCP\nservices. All existing data will be wiped out without possibility of restoring.",
    );
    return;
  }
  const current = parseSipwiseCnf(fs.readFileSync(SIPWISE_CNF, "utf8"));
  if (!current) {
    die(`Error: no SIPWISE_DB_PASSWORD in ${SIPWISE_CNF}`);
  }
  const fresh = new Map(SERVICE_USERS.map((u) => [u.key, passwordFromBytes(randomBytes(24))]));
  const passwordOf = (key: string): string => {
    const p = fresh.get(key);
    if (!p) {
      throw new Error(`no password for ${key}`);
    }
    return p;
  };
  try {
    const drops = SEEDED_DATABASES.map((d) => `DROP DATABASE IF EXISTS \`${d}\`;`).join("\n");
    mariadb("sipwise", current, `${drops}\n${schemaSql()}`);
    for (const d of [...SEEDED_DATABASES].sort()) {
      out(`Resetting database ${d}: OK`);
    }
    // The main user last: this session runs as it.
    const others = SERVICE_USERS.filter((u) => u.key !== "sipwise");
    const main = SERVICE_USERS.filter((u) => u.key === "sipwise");
    mariadb(
      "sipwise",
      current,
      createServiceUsersSql(others, passwordOf) +
        createServiceUsersSql(main, passwordOf) +
        "FLUSH PRIVILEGES;\n",
    );
    for (const u of SERVICE_USERS) {
      out(`Assigning new password to MySQL user ${u.user}@localhost: OK`);
    }
  } catch (e) {
    die(`Error: resetting the database failed: ${e instanceof Error ? e.message : String(e)}`);
  }

  const doc = parseDocument(fs.readFileSync(CONSTANTS, "utf8"));
  for (const u of SERVICE_USERS) {
    const node = doc.getIn(["credentials", "mysql", u.key], true);
    if (isMap(node)) {
      node.set("password", passwordOf(u.key));
    } else {
      doc.setIn(
        ["credentials", "mysql", u.key],
        doc.createNode({ password: passwordOf(u.key), user: u.user }),
      );
    }
  }
  atomicWrite(CONSTANTS, doc.toString(), 0o640);
  atomicWrite(SIPWISE_CNF, renderSipwiseCnf(passwordOf("sipwise")), 0o600);
  out(`Updating ${CONSTANTS} and ${SIPWISE_CNF}: OK`);
  if (git(["status", "--porcelain"]).trim() !== "") {
    git(["add", "-A", "."]);
    git([
      "commit",
      "-q",
      "-m",
      `ngcp-reset-db: new passwords of the NGCP services [${new Date().toISOString()}]`,
    ]);
  }
  try {
    reloadOrStartServices();
    out("Restarting services: OK");
  } catch (e) {
    die(`Error: restarting services failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  out("Database reset done: all existing data has been wiped out.");
}

if (require.main === module) {
  main(process.argv.slice(2));
}
