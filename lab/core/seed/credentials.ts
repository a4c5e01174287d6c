import { parse } from "yaml";

/**
 * NGCP service users of MariaDB (pure). Handbook 15.3: "Users and passwords for these services are created
 * during the installation. These passwords are unique for each installation, and the connections are
 * restricted to localhost. You should not change these users and passwords."
 *
 * The lab keeps them in constants.yml under `credentials→mysql→<key>→{user,password}` and the main one
 * (`sipwise`) also in /etc/mysql/sipwise.cnf as `SIPWISE_DB_PASSWORD`, which is how Sipwise's own scripts
 * read it.
 */

export interface Grant {
  /** Database name, or `*` for every database. */
  readonly database: string;
  readonly privileges: string;
}

export interface ServiceUserDef {
  /** Key under credentials→mysql in constants.yml. */
  readonly key: string;
  /** MariaDB user name; the host is always `localhost`. */
  readonly user: string;
  readonly grants: readonly Grant[];
  /** The main service user may grant (Sipwise's tools create and sync the others with it). */
  readonly withGrantOption?: boolean;
}

export const SERVICE_USERS: readonly ServiceUserDef[] = [
  {
    key: "sipwise",
    user: "sipwise",
    grants: [{ database: "*", privileges: "ALL PRIVILEGES" }],
    withGrantOption: true,
  },
  {
    key: "kamailio",
    user: "kamailio",
    grants: [{ database: "kamailio", privileges: "SELECT, INSERT, UPDATE, DELETE" }],
  },
  {
    key: "soap",
    user: "soap",
    grants: [
      { database: "provisioning", privileges: "SELECT, INSERT, UPDATE, DELETE" },
      { database: "billing", privileges: "SELECT, INSERT, UPDATE, DELETE" },
    ],
  },
  {
    key: "mediator",
    user: "mediator",
    grants: [
      { database: "accounting", privileges: "SELECT, INSERT, UPDATE, DELETE" },
      { database: "kamailio", privileges: "SELECT, DELETE" },
    ],
  },
  {
    key: "rateomat",
    user: "rateomat",
    grants: [
      { database: "accounting", privileges: "SELECT, UPDATE" },
      { database: "billing", privileges: "SELECT" },
    ],
  },
  { key: "exporter", user: "exporter", grants: [{ database: "accounting", privileges: "SELECT, UPDATE" }] },
];

/** The Debian maintenance user of the older edition (/etc/mysql/debian.cnf). */
export const DEBIAN_SYS_MAINT = "debian-sys-maint";

export interface ServiceCredential {
  readonly key: string;
  readonly user: string;
  readonly password: string;
}

const PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/**
 * A password from random bytes (the caller supplies them, so this stays pure). Letters and digits only:
 * sipwise.cnf is read as shell assignments and debian.cnf as an option file, and neither needs quoting then.
 */
export function passwordFromBytes(bytes: Uint8Array, length = 24): string {
  if (bytes.length < length) {
    throw new Error(`need ${length} random bytes, got ${bytes.length}`);
  }
  let out = "";
  for (let i = 0; i < length; i++) {
    out += PASSWORD_ALPHABET[bytes[i] % PASSWORD_ALPHABET.length];
  }
  return out;
}

export function renderConstantsYml(creds: readonly ServiceCredential[]): string {
  const lines = [
    "---",
    "# /etc/ngcp-config/constants.yml: constant settings; they take precedence over config.yml.",
    "# Not to be modified by hand. The MySQL service passwords below were generated at installation, are",
    "# unique to this node and restricted to localhost; do not change them (handbook 15.3).",
    "credentials:",
    "  mysql:",
  ];
  for (const c of [...creds].sort((a, b) => a.key.localeCompare(b.key))) {
    lines.push(`    ${c.key}:`, `      password: '${c.password}'`, `      user: ${c.user}`);
  }
  lines.push("database:", "  dbhost: localhost", "  dbport: 3306");
  return lines.join("\n") + "\n";
}

/** Reads credentials→mysql back from constants.yml text; entries without user and password are skipped. */
export function parseConstantsCredentials(text: string): ServiceCredential[] {
  const doc: unknown = parse(text);
  const mysql = (doc as { credentials?: { mysql?: unknown } } | null)?.credentials?.mysql;
  if (mysql === null || typeof mysql !== "object") {
    return [];
  }
  const out: ServiceCredential[] = [];
  for (const [key, value] of Object.entries(mysql as Record<string, unknown>)) {
    const v = value as { user?: unknown; password?: unknown } | null;
    if (
      v &&
      typeof v.user === "string" &&
      (typeof v.password === "string" || typeof v.password === "number")
    ) {
      out.push({ key, user: v.user, password: String(v.password) });
    }
  }
  return out;
}

/** /etc/mysql/sipwise.cnf: the main service user's password, read by Sipwise scripts as a shell assignment. */
export function renderSipwiseCnf(password: string): string {
  return `SIPWISE_DB_PASSWORD='${password}'\n`;
}

/** The password in sipwise.cnf text; undefined when the line is missing. */
export function parseSipwiseCnf(text: string): string | undefined {
  const m = /^SIPWISE_DB_PASSWORD='?([^'\n]*)'?\s*$/m.exec(text);
  return m ? m[1] : undefined;
}

/** /etc/mysql/debian.cnf of the older edition (Debian's maintenance credentials; 000 backs it up). */
export function renderDebianCnf(password: string): string {
  const section = (name: string, extra: string[]): string[] => [
    `[${name}]`,
    "host     = localhost",
    `user     = ${DEBIAN_SYS_MAINT}`,
    `password = ${password}`,
    "socket   = /var/run/mysqld/mysqld.sock",
    ...extra,
  ];
  return (
    [
      "# Automatically generated for Debian scripts. DO NOT TOUCH!",
      ...section("client", []),
      ...section("mysql_upgrade", ["basedir  = /usr"]),
    ].join("\n") + "\n"
  );
}
