import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { renderConstantsYml, renderSipwiseCnf } from "../../lab/core/seed/credentials";
import {
  displayTarget,
  parseGrantTarget,
  parseShowGrants,
  targetSql,
} from "../../providers/mysqlCredentials/grants";
import type { MysqlCredentialsInputs } from "../../providers/mysqlCredentials/inputs";
import {
  nativePasswordHash,
  parseShowCreateUser,
  passwordMatches,
  passwordMatchesAny,
} from "../../providers/mysqlCredentials/nativePassword";
import { renderClientOptionFile } from "../../providers/mysqlCredentials/optionFile";
import {
  desiredMysqlUsers,
  planMysqlUsers,
  planSecrets,
  type DesiredMysqlUser,
  type LiveMysqlUser,
  type MysqlPlan,
} from "../../providers/mysqlCredentials/planner";
import { allPrivilegesAt } from "../../providers/mysqlCredentials/privileges";
import {
  missingServiceUsers,
  parseSipwiseCnf,
  protectedUserNames,
  serviceUserEntriesFromConstants,
  serviceUsersFromConstants,
} from "../../providers/mysqlCredentials/serviceUsers";
import {
  parseServerVersion,
  quoteIdentifier,
  type ServerVersion,
} from "../../providers/mysqlCredentials/sql";
import { validateMysqlCredentials } from "../../providers/mysqlCredentials/validate";

const MARIADB_10_11 = parseServerVersion("10.11.19-MariaDB-0+deb12u1");

describe("credentials/mysql: mysql_native_password hashes (as MariaDB's PASSWORD())", () => {
  // Vectors from MariaDB 10.11: SELECT PASSWORD('…') with a utf8mb4 connection.
  const vectors: [string, string][] = [
    ["password", "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"],
    ["mypass", "*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4"],
    ["ü€", "*4A3E9EEE06421369AC9E990E95C8C6D6B74F6489"],
    ["a b", "*56128C94FE6F5F4E111A87AFBB280FB1BDD2FFE9"],
    ["", ""],
  ];
  for (const [password, hash] of vectors) {
    it(`hashes ${JSON.stringify(password)} to ${hash || "the empty string"}`, () => {
      assert.equal(nativePasswordHash(password), hash);
    });
  }

  const matches: [string, string, string, string, boolean][] = [
    [
      "the right password, native plugin",
      "password",
      "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19",
      "mysql_native_password",
      true,
    ],
    [
      "a lower-case stored hash",
      "password",
      "*2470c0c06dee42fd1618bb99005adca2ec9d1e19",
      "mysql_native_password",
      true,
    ],
    ["the pre-10.4 empty plugin (native)", "password", "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", "", true],
    [
      "a wrong password",
      "Password",
      "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19",
      "mysql_native_password",
      false,
    ],
    ["a passwordless account against a password", "password", "", "", false],
    ["unix_socket (no password to compare)", "password", "", "unix_socket", false],
    [
      "ed25519 (not comparable here: re-set as native)",
      "password",
      "4LH+dBF+G5W2CKTyId8xR3SyDqZoQjUNUVNxx8aWbG4",
      "ed25519",
      false,
    ],
    ["MariaDB's 'invalid' placeholder", "invalid", "invalid", "mysql_native_password", false],
  ];
  for (const [what, password, stored, plugin, expected] of matches) {
    it(`${expected ? "matches" : "does not match"} ${what}`, () => {
      assert.equal(passwordMatches(password, stored, plugin), expected);
    });
  }

  it("matches when any OR-ed method accepts the password (native OR unix_socket)", () => {
    const auth = parseShowCreateUser(
      "CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19' OR unix_socket",
    ).auth;
    assert.ok(passwordMatchesAny("password", auth));
  });
});

describe("credentials/mysql: SHOW CREATE USER parsing", () => {
  const cases: [string, string, { plugin: string; authString: string }[]][] = [
    [
      "an account without a password",
      "CREATE USER `root`@`localhost`",
      [{ plugin: "mysql_native_password", authString: "" }],
    ],
    [
      "a native hash",
      "CREATE USER `bk`@`localhost` IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
      [{ plugin: "mysql_native_password", authString: "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19" }],
    ],
    [
      "Debian's root (10.4+): invalid native OR unix_socket",
      "CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket",
      [
        { plugin: "mysql_native_password", authString: "invalid" },
        { plugin: "unix_socket", authString: "" },
      ],
    ],
    [
      "trailing options",
      "CREATE USER `a`@`%` IDENTIFIED VIA ed25519 USING 'abc' REQUIRE SSL WITH MAX_QUERIES_PER_HOUR 10",
      [{ plugin: "ed25519", authString: "abc" }],
    ],
  ];
  for (const [what, line, auth] of cases) {
    it(`reads ${what}`, () => {
      assert.deepEqual(parseShowCreateUser(line).auth, auth);
    });
  }

  it("reads quoted account names with doubled backticks", () => {
    const info = parseShowCreateUser("CREATE USER `we``x`@`10.0.0.%`");
    assert.deepEqual([info.user, info.host], ["we`x", "10.0.0.%"]);
  });
});

describe("credentials/mysql: SHOW GRANTS parsing (normalized, never raw text)", () => {
  // Lines printed by MariaDB 10.11 (the lab's and current CE's server).
  const mariadb = [
    "GRANT RELOAD, PROCESS, BINLOG MONITOR, SHOW VIEW, EVENT, TRIGGER ON *.* TO `bk`@`localhost` IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
    "GRANT SELECT ON `my\\_db`.* TO `bk`@`localhost`",
    "GRANT USAGE ON `billing`.* TO `bk`@`localhost` WITH GRANT OPTION",
    "GRANT ALL PRIVILEGES ON `acc`.* TO `bk`@`localhost`",
    "GRANT SELECT (`a`, `b`), INSERT ON `kamailio`.`location` TO `bk`@`localhost`",
    "GRANT EXECUTE ON PROCEDURE `billing`.`p` TO `bk`@`localhost`",
    "GRANT `r1` TO `bk`@`localhost`",
    "GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION",
  ];

  it("reads privileges, target and grant option of each line", () => {
    const g = parseShowGrants(mariadb);
    assert.deepEqual(g[0], {
      kind: "privileges",
      user: "bk",
      host: "localhost",
      target: { level: "global" },
      privileges: ["RELOAD", "PROCESS", "BINLOG MONITOR", "SHOW VIEW", "EVENT", "TRIGGER"],
      columnPrivileges: [],
      grantOption: false,
    });
    assert.deepEqual(g[1].kind === "privileges" && g[1].target, { level: "database", database: "my\\_db" });
    assert.deepEqual(g[2].kind === "privileges" && [g[2].privileges, g[2].grantOption], [[], true]);
    assert.deepEqual(g[3].kind === "privileges" && g[3].privileges, ["ALL PRIVILEGES"]);
    assert.deepEqual(g[4].kind === "privileges" && [g[4].privileges, g[4].columnPrivileges, g[4].target], [
      ["INSERT"],
      ["SELECT (a, b)"],
      { level: "table", database: "kamailio", table: "location" },
    ]);
  });

  it("reports routine, role and proxy grants as unmanaged", () => {
    const g = parseShowGrants(mariadb).slice(5);
    assert.deepEqual(
      g.map((x) => x.kind === "other" && x.what),
      ["routine grant", "role grant", "proxy grant"],
    );
  });

  it("reads MySQL 5.x's single-quoted accounts (the older edition)", () => {
    const [usage, db] = parseShowGrants([
      "GRANT USAGE ON *.* TO 'backup'@'localhost' IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
      "GRANT SELECT, LOCK TABLES ON `ngcp`.* TO 'backup'@'localhost'",
    ]);
    assert.deepEqual(usage.kind === "privileges" && [usage.user, usage.host, usage.privileges], [
      "backup",
      "localhost",
      [],
    ]);
    assert.deepEqual(db.kind === "privileges" && db.privileges, ["SELECT", "LOCK TABLES"]);
  });

  it("refuses a line that is not a GRANT", () => {
    assert.throws(() => parseShowGrants(["REVOKE SELECT ON *.* FROM x"]), /not a GRANT line/);
  });
});

describe("credentials/mysql: grant targets", () => {
  const good: [string, string, string][] = [
    ["*.*", "*.*", "*.*"],
    ["kamailio.*", "`kamailio`.*", "kamailio.*"],
    ["kamailio.location", "`kamailio`.`location`", "kamailio.location"],
    ["`my.db`.*", "`my.db`.*", "my.db.*"],
    ["my_db.*", "`my\\_db`.*", "my_db.*"],
    ["my_db.my_table", "`my_db`.`my_table`", "my_db.my_table"],
  ];
  for (const [on, sql, shown] of good) {
    it(`reads ${on} as ${sql} (an _ in a database grant is escaped: it is a wildcard there)`, () => {
      const t = parseGrantTarget(on);
      assert.ok("target" in t);
      assert.equal(targetSql(t.target), sql);
      assert.equal(displayTarget(t.target), shown);
    });
  }
  const bad = ["*", "db", "*.table", "db.*.x", "%.*", "a/b.*", "", "`unterminated.*", `${"x".repeat(65)}.*`];
  for (const on of bad) {
    it(`refuses ${JSON.stringify(on)}`, () => {
      assert.ok("problem" in parseGrantTarget(on));
    });
  }
});

describe("credentials/mysql: validation (preview fails naming the key)", () => {
  const strong = "Backup-Pass-2024!";
  const base = (
    user: Partial<NonNullable<MysqlCredentialsInputs["users"]>[number]>,
  ): MysqlCredentialsInputs => ({
    users: [{ name: "backup", password: strong, grants: [{ privileges: ["SELECT"], on: "*.*" }], ...user }],
  });
  const cases: [string, MysqlCredentialsInputs, string, RegExp, string[]?][] = [
    ["an empty root password", { rootPassword: "" }, "rootPassword", /must not be empty/],
    ["a weak root password", { rootPassword: "root1234" }, "rootPassword", /too weak/],
    ["an empty user password", base({ password: "" }), "users[0].password", /must not be empty/],
    ["a weak user password", base({ password: "backup12" }), "users[0].password", /too weak|user name/],
    [
      "a grant on an unknown privilege",
      base({ grants: [{ privileges: ["SELEKT"], on: "*.*" }] }),
      "users[0].grants[0].privileges",
      /unknown privilege "SELEKT"; MariaDB's privileges are: .*LOCK TABLES/,
    ],
    [
      "a global privilege on a database",
      base({ grants: [{ privileges: ["SUPER"], on: "kamailio.*" }] }),
      "users[0].grants[0].privileges",
      /SUPER is a global privilege: grant it ON \*\.\*/,
    ],
    [
      "a database privilege on a table",
      base({ grants: [{ privileges: "LOCK TABLES", on: "kamailio.location" }] }),
      "users[0].grants[0].privileges",
      /cannot be granted on a single table/,
    ],
    [
      "ALL with other privileges",
      base({ grants: [{ privileges: ["ALL", "SELECT"], on: "kamailio.*" }] }),
      "users[0].grants[0].privileges",
      /list it alone/,
    ],
    [
      "USAGE with other privileges",
      base({ grants: [{ privileges: ["USAGE", "SELECT"], on: "*.*" }] }),
      "users[0].grants[0].privileges",
      /USAGE means no privilege/,
    ],
    [
      "no privilege at all",
      base({ grants: [{ privileges: [], on: "*.*" }] }),
      "users[0].grants[0].privileges",
      /at least one privilege/,
    ],
    [
      "an invalid target",
      base({ grants: [{ privileges: ["SELECT"], on: "kamailio" }] }),
      "users[0].grants[0].on",
      /expected "\*\.\*", "db\.\*" or "db\.table"/,
    ],
    [
      "a user named like an NGCP service user",
      base({ name: "kamailio" }),
      "users[0].name",
      /kamailio is an NGCP service user \(handbook 15\.3/,
    ],
    [
      "a user named like a service user the node lists",
      base({ name: "billingsvc" }),
      "users[0].name",
      /billingsvc is an NGCP service user/,
      ["billingsvc"],
    ],
    [
      "a user named like MariaDB's own account",
      base({ name: "mariadb.sys" }),
      "users[0].name",
      /MariaDB's own account/,
    ],
    ["root as an extra user", base({ name: "root" }), "users[0].name", /managed by rootPassword/],
    ["a user name over 80 characters", base({ name: "u".repeat(81) }), "users[0].name", /at most 80/],
    ["a user name with a quote", base({ name: "bob'; DROP" }), "users[0].name", /characters outside/],
    ["an empty host", base({ host: "" }), "users[0].host", /must not be empty/],
    ["a host with a space", base({ host: "10.0.0.1 or 1=1" }), "users[0].host", /not a host pattern/],
    ["a netmask host that is not IPv4", base({ host: "10.0.0.0/24" }), "users[0].host", /address\/netmask/],
  ];
  for (const [what, inputs, property, reason, live] of cases) {
    it(`refuses ${what}`, () => {
      // GIVEN invalid inputs WHEN validated THEN a failure names the property and explains
      const failures = validateMysqlCredentials(inputs, live ?? []);
      assert.ok(
        failures.some((f) => f.property === property && reason.test(f.reason)),
        `expected ${property} ~ ${reason}, got ${JSON.stringify(failures)}`,
      );
    });
  }

  it("refuses the same account declared twice (hosts compared case-insensitively)", () => {
    const failures = validateMysqlCredentials({
      users: [
        { name: "backup", host: "LocalHost", password: strong },
        { name: "backup", host: "localhost", password: strong },
      ],
    });
    assert.ok(
      failures.some((f) => f.property === "users[1]" && /already declared as users\[0\]/.test(f.reason)),
    );
  });

  it("accepts a least-privilege backup user and a strong root password", () => {
    const failures = validateMysqlCredentials({
      rootPassword: "Db-Admin-Pass-2024!",
      users: [
        {
          name: "ngcp-fleet-backup",
          password: strong,
          grants: [
            {
              privileges: "select, lock tables, show view, event, trigger, reload, replication client",
              on: "*.*",
            },
          ],
        },
        {
          name: "reporter",
          host: "10.0.0.%",
          password: strong,
          grants: [{ privileges: ["SELECT"], on: "accounting.cdr" }],
        },
      ],
    });
    assert.deepEqual(failures, []);
  });
});

/** What the server would show for an account after the plan ran (for second-`up` tests). */
function liveAfter(
  user: string,
  host: string,
  password: string,
  grants: string[],
  plugin = "mysql_native_password",
): LiveMysqlUser {
  const hash = nativePasswordHash(password);
  return {
    user,
    host,
    plugin,
    authString: hash,
    grants: [
      `GRANT USAGE ON *.* TO ${quoteIdentifier(user)}@${quoteIdentifier(host)} IDENTIFIED BY PASSWORD '${hash}'`,
      ...grants,
    ],
  };
}

const freshCe: LiveMysqlUser[] = [
  {
    user: "root",
    host: "localhost",
    plugin: "",
    authString: "",
    grants: ["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"],
  },
  {
    user: "root",
    host: "127.0.0.1",
    plugin: "",
    authString: "",
    grants: ["GRANT ALL PRIVILEGES ON *.* TO `root`@`127.0.0.1` WITH GRANT OPTION"],
  },
  liveAfter("kamailio", "localhost", "svc-Unique-Pass-1", [
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `kamailio`.* TO `kamailio`@`localhost`",
  ]),
  liveAfter("sipwise", "localhost", "svc-Unique-Pass-2", [
    "GRANT ALL PRIVILEGES ON *.* TO `sipwise`@`localhost` WITH GRANT OPTION",
  ]),
];

const ROOT_PW = "Db-Admin-Pass-2024!";
const BACKUP_PW = "Backup pass 2024 long enough";
const backupInputs: MysqlCredentialsInputs = {
  rootPassword: ROOT_PW,
  users: [
    {
      name: "backup",
      password: BACKUP_PW,
      grants: [{ privileges: "select, lock tables, show view, event, trigger", on: "*.*" }],
    },
  ],
};

function plan(
  inputs: MysqlCredentialsInputs,
  live: LiveMysqlUser[],
  version: ServerVersion = MARIADB_10_11,
): MysqlPlan {
  return planMysqlUsers(desiredMysqlUsers(inputs, live).users, live, { serverVersion: version });
}

describe("credentials/mysql: planning users, passwords and grants", () => {
  it("sets root's password on every root account and creates the backup user on a fresh CE", () => {
    // GIVEN a fresh CE (root without password) WHEN planned THEN root is set everywhere, backup created and granted
    const p = plan(backupInputs, freshCe);
    assert.deepEqual(
      p.actions.map((a) => a.description),
      [
        "set the password of root@localhost",
        "set the password of root@127.0.0.1",
        "create user backup@localhost",
        "grant EVENT, LOCK TABLES, SELECT, SHOW VIEW, TRIGGER on *.* to backup@localhost",
      ],
    );
    assert.deepEqual(p.actions[0].statement, {
      sql: "ALTER USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING ?",
      values: [nativePasswordHash(ROOT_PW)],
    });
    assert.deepEqual(p.actions[2].statement, {
      sql: "CREATE USER `backup`@`localhost` IDENTIFIED BY PASSWORD ?",
      values: [nativePasswordHash(BACKUP_PW)],
    });
  });

  it("plans nothing on the second up (unchanged passwords compared by hash, grants by normalized sets)", () => {
    // GIVEN the server as MariaDB prints it after the first up (privileges in its own order)
    const live = [
      liveAfter("root", "localhost", ROOT_PW, [
        "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION",
      ]),
      liveAfter("root", "127.0.0.1", ROOT_PW, [
        "GRANT ALL PRIVILEGES ON *.* TO `root`@`127.0.0.1` WITH GRANT OPTION",
      ]),
      ...freshCe.slice(2),
      liveAfter("backup", "localhost", BACKUP_PW, [
        "GRANT SELECT, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER ON *.* TO `backup`@`localhost`",
      ]),
    ];
    // WHEN planned again THEN no action at all
    const p = plan(backupInputs, live);
    assert.deepEqual(p.actions, []);
    assert.deepEqual(p.unchanged, ["root@localhost", "root@127.0.0.1", "backup@localhost"]);
  });

  it("rotates a password with one statement and leaves the grants alone", () => {
    const live = [
      liveAfter("backup", "localhost", "Old-Backup-Pass-1", ["GRANT SELECT ON *.* TO `backup`@`localhost`"]),
    ];
    const p = plan(
      { users: [{ name: "backup", password: BACKUP_PW, grants: [{ privileges: ["SELECT"], on: "*.*" }] }] },
      live,
    );
    assert.deepEqual(
      p.actions.map((a) => a.kind),
      ["alterPassword"],
    );
  });

  it("keeps unix_socket login when setting root's password on Debian's MariaDB (native OR unix_socket)", () => {
    const live: LiveMysqlUser[] = [
      {
        user: "root",
        host: "localhost",
        plugin: "mysql_native_password",
        authString: "invalid",
        grants: [],
        auth: parseShowCreateUser(
          "CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket",
        ).auth,
      },
    ];
    const [action] = plan({ rootPassword: ROOT_PW }, live).actions;
    assert.equal(
      action.statement.sql,
      "ALTER USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING ? OR unix_socket",
    );
  });

  const versions: [string, string, string][] = [
    [
      "MariaDB 10.3 (older CE)",
      "10.3.39-MariaDB-0+deb10u2",
      "ALTER USER `backup`@`localhost` IDENTIFIED BY PASSWORD ?",
    ],
    ["MariaDB 10.1", "10.1.48-MariaDB-0+deb9u2", "SET PASSWORD FOR `backup`@`localhost` = ?"],
    ["MySQL 5.5 (the oldest edition)", "5.5.62-0+deb8u1", "SET PASSWORD FOR `backup`@`localhost` = ?"],
    ["MySQL 5.7", "5.7.42-log", "ALTER USER `backup`@`localhost` IDENTIFIED WITH mysql_native_password AS ?"],
  ];
  for (const [what, version, sql] of versions) {
    it(`sets a password with the statement ${what} understands`, () => {
      const live = [liveAfter("backup", "localhost", "Old-Backup-Pass-1", [])];
      const [action] = plan(
        { users: [{ name: "backup", password: BACKUP_PW }] },
        live,
        parseServerVersion(version),
      ).actions;
      assert.equal(action.statement.sql, sql);
      assert.deepEqual(action.statement.values, [nativePasswordHash(BACKUP_PW)]);
    });
  }

  it("treats ALL PRIVILEGES on a database as the full list MariaDB folds into it", () => {
    // GIVEN MariaDB printing ALL PRIVILEGES for a user granted every database privilege one by one
    const live = [
      liveAfter("app", "localhost", BACKUP_PW, ["GRANT ALL PRIVILEGES ON `acc`.* TO `app`@`localhost`"]),
    ];
    const p = plan(
      {
        users: [
          {
            name: "app",
            password: BACKUP_PW,
            grants: [{ privileges: allPrivilegesAt("database", MARIADB_10_11), on: "acc.*" }],
          },
        ],
      },
      live,
    );
    // THEN the two spellings compare equal
    assert.deepEqual(p.actions, []);
  });

  it("treats REPLICATION CLIENT (MariaDB < 10.5 name) as the BINLOG MONITOR the server prints", () => {
    const live = [
      liveAfter("backup", "localhost", BACKUP_PW, ["GRANT BINLOG MONITOR ON *.* TO `backup`@`localhost`"]),
    ];
    assert.deepEqual(
      plan(
        {
          users: [
            {
              name: "backup",
              password: BACKUP_PW,
              grants: [{ privileges: ["replication client"], on: "*.*" }],
            },
          ],
        },
        live,
      ).actions,
      [],
    );
  });

  it("revokes privileges and targets the stack no longer names, and the grant option", () => {
    const live = [
      liveAfter("app", "localhost", BACKUP_PW, [
        "GRANT SELECT, INSERT ON `kamailio`.* TO `app`@`localhost` WITH GRANT OPTION",
        "GRANT SELECT ON `billing`.* TO `app`@`localhost`",
      ]),
    ];
    const p = plan(
      {
        users: [{ name: "app", password: BACKUP_PW, grants: [{ privileges: ["SELECT"], on: "kamailio.*" }] }],
      },
      live,
    );
    assert.deepEqual(
      p.actions.map((a) => a.statement.sql),
      [
        "REVOKE SELECT ON `billing`.* FROM `app`@`localhost`",
        "REVOKE INSERT ON `kamailio`.* FROM `app`@`localhost`",
        "REVOKE GRANT OPTION ON `kamailio`.* FROM `app`@`localhost`",
      ],
    );
  });

  it("leaves routine, role and column grants alone", () => {
    const live = [
      liveAfter("app", "localhost", BACKUP_PW, [
        "GRANT EXECUTE ON PROCEDURE `billing`.`p` TO `app`@`localhost`",
        "GRANT `r1` TO `app`@`localhost`",
        "GRANT SELECT (`a`) ON `kamailio`.`location` TO `app`@`localhost`",
      ]),
    ];
    assert.deepEqual(plan({ users: [{ name: "app", password: BACKUP_PW, grants: [] }] }, live).actions, []);
  });

  it("drops an account it created earlier once the stack stops naming it, but never a service user", () => {
    const live = [...freshCe, liveAfter("olduser", "localhost", BACKUP_PW, [])];
    const p = planMysqlUsers([], live, {
      previouslyManaged: [
        { user: "olduser", host: "localhost" },
        { user: "kamailio", host: "localhost" },
      ],
    });
    assert.deepEqual(
      p.actions.map((a) => a.statement.sql),
      ["DROP USER `olduser`@`localhost`"],
    );
  });

  it("never plans a statement for the NGCP service users it reads", () => {
    const p = plan(backupInputs, freshCe);
    assert.ok(p.actions.every((a) => !/kamailio|sipwise/.test(a.account)));
  });

  it("refuses to plan for a service user even if check was bypassed", () => {
    const desired: DesiredMysqlUser[] = [{ name: "kamailio", password: BACKUP_PW, grants: [] }];
    assert.throws(() => planMysqlUsers(desired, freshCe), /NGCP service user/);
  });

  it("puts no password into SQL text or descriptions, only hashes into values (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), fc.string({ maxLength: 24 }), (a, b) => {
        const password = `${a}\u2603${b}`;
        const p = plan(
          {
            rootPassword: password,
            users: [{ name: "backup", password, grants: [{ privileges: ["SELECT"], on: "*.*" }] }],
          },
          freshCe,
        );
        for (const action of p.actions) {
          assert.ok(!action.description.includes(password));
          assert.ok(!action.statement.sql.includes(password));
          assert.ok(action.statement.values.every((v) => v === nativePasswordHash(password)));
        }
        assert.ok(planSecrets(p).every((s) => !s.includes(password)));
      }),
    );
  });

  it("never puts a password into a validation reason (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 24 }),
        fc.string({ maxLength: 24 }),
        fc.constantFrom("backup", "kamailio", "", "x".repeat(90)),
        (a, b, name) => {
          const password = `${a}\u2603${b}`;
          const failures = validateMysqlCredentials({
            rootPassword: password,
            users: [{ name, password, grants: [{ privileges: [password], on: password }] }],
          });
          for (const f of failures.filter(
            (x) => x.property.endsWith("password") || x.property === "rootPassword",
          )) {
            assert.ok(!f.reason.includes(password), f.reason);
          }
        },
      ),
    );
  });
});

describe("credentials/mysql: NGCP service users from the node", () => {
  it("reads credentials.mysql.<key>.u of constants.yml (the layout ngcp-sync-db-creds reads)", () => {
    const yaml = [
      "credentials:",
      "  mysql:",
      "    kamailio: { u: kamailio, p: 'x1' }",
      "    mediator:",
      "      u: mediator",
      "      p: 'x2'",
      "    cleanuptools: { u: cleanuptools, p: 'x3' }",
      "database: { dbhost: localhost }",
    ].join("\n");
    assert.deepEqual(serviceUsersFromConstants(yaml), ["cleanuptools", "kamailio", "mediator"]);
  });

  it("reads the lab's constants.yml ({user, password} under credentials.mysql)", () => {
    const yaml = renderConstantsYml([
      { key: "sipwise", user: "sipwise", password: "p1" },
      { key: "soap", user: "soap", password: "p2" },
    ]);
    assert.deepEqual(serviceUsersFromConstants(yaml), ["sipwise", "soap"]);
  });

  it("finds service users of an older edition's per-service keys, and says where", () => {
    const yaml = [
      "ossbss:",
      "  provisioning:",
      "    database: { name: provisioning, user: soap, pass: 'x' }",
      "mediator: { dbuser: mediator, dbpassword: 'y' }",
      "kamailio: { proxy: { dbrwuser: kamailio, dbrwpw: 'z' } }",
      "www_admin: { contactmail: admin@example.net, user_not_a_db: x }",
    ].join("\n");
    assert.deepEqual(serviceUserEntriesFromConstants(yaml), [
      { user: "kamailio", path: "kamailio.proxy", source: "legacy" },
      { user: "mediator", path: "mediator", source: "legacy" },
      { user: "soap", path: "ossbss.provisioning.database", source: "legacy" },
    ]);
  });

  it("returns nothing for an empty constants.yml and never the passwords", () => {
    assert.deepEqual(serviceUsersFromConstants(""), []);
    assert.ok(
      !JSON.stringify(
        serviceUserEntriesFromConstants("credentials: { mysql: { a: { u: a, p: SECRETPW } } }"),
      ).includes("SECRETPW"),
    );
  });

  const cnfCases: [string, string, { user?: string; password?: string; form: string }][] = [
    [
      "the shell form (sipwise.cnf)",
      "SIPWISE_DB_PASSWORD='s3cr3t'\n",
      { user: "sipwise", password: "s3cr3t", form: "shell" },
    ],
    [
      "the lab's rendering",
      renderSipwiseCnf("AbC123"),
      { user: "sipwise", password: "AbC123", form: "shell" },
    ],
    [
      "the option-file form (sipwise_extra.cnf)",
      '# comment\n[client]\nuser = sipwise\npassword = "p#w"\n',
      { user: "sipwise", password: "p#w", form: "ini" },
    ],
    ["an unrelated file", "[mysqld]\nport=3306\n", { form: "unknown" }],
  ];
  for (const [what, text, expected] of cnfCases) {
    it(`parses ${what}`, () => {
      assert.deepEqual(parseSipwiseCnf(text), expected);
    });
  }

  it("protects the documented, MariaDB's and the node's own names", () => {
    const names = protectedUserNames({
      fromConstants: ["extra1"],
      sipwiseCnf: { user: "sipwise", form: "shell" },
    });
    for (const n of ["kamailio", "debian-sys-maint", "mariadb.sys", "extra1", "sipwise"]) {
      assert.ok(names.includes(n), n);
    }
  });

  it("lists the service users the node names but MariaDB lacks", () => {
    assert.deepEqual(missingServiceUsers(["kamailio", "sipwise", "soap"], freshCe), ["soap"]);
  });
});

describe("credentials/mysql: root's option file", () => {
  it("renders a [client] file that MariaDB's own parser reads back byte for byte", function () {
    // GIVEN a password with every character that needs care in an option file
    const password = `a"b\\c#d e;f'g\\n$(x)`;
    const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-cnf-"));
    try {
      const file = join(dir, "root.cnf");
      writeFileSync(file, renderClientOptionFile({ password }), { mode: 0o600 });
      // WHEN my_print_defaults (MariaDB's option parser, installed with the lab's MariaDB) reads it
      const out = execFileSync("my_print_defaults", [`--defaults-file=${file}`, "client"]).toString();
      // THEN it sees exactly the user and the password
      assert.deepEqual(out.split("\n").filter(Boolean), [
        "--user=root",
        `--password=${password}`,
        "--host=localhost",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a password with a newline", () => {
    assert.throws(() => renderClientOptionFile({ password: "a\nb" }), /newline/);
  });
});
