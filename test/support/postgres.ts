/**
 * A real PostgreSQL server for the tests of shared team state: Debian's server binaries (installed by
 * scripts/bootstrap.sh), a cluster of its own in a temporary directory, TLS only on 127.0.0.1 with a
 * certificate of a test CA, the admin reachable only over the cluster's private Unix socket. Started and
 * stopped (by its PID file, through pg_ctl) by the test that uses it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPostgres {
  readonly port: number;
  /** The CA the server's certificate chains to (for sslrootcert). */
  readonly caFile: string;
  /**
   * Runs SQL (on psql's stdin: a password in it never reaches a process's arguments) as the cluster's
   * superuser over the private socket; returns psql's unaligned output.
   */
  admin(sql: string, database?: string): string;
  /** Runs SQL as `role` over TLS to 127.0.0.1 (password from PGPASSWORD); the exit status and output. */
  asRole(role: string, password: string, database: string, sql: string): { status: number; output: string };
  stop(): void;
}

/** The directory of Debian's PostgreSQL server binaries (the newest major installed). */
export function postgresBinDir(): string {
  const base = "/usr/lib/postgresql";
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) {
    throw new Error(
      "no PostgreSQL server in /usr/lib/postgresql: run scripts/bootstrap.sh (it installs Debian's postgresql)",
    );
  }
  return join(base, majors[0], "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a fresh cluster; `stop()` removes it. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-postgres-"));
  const data = join(dir, "data");
  const socketDir = join(dir, "socket");
  mkdirSync(socketDir);
  const port = await freePort();
  const owner = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const group = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());

  // TLS: a test CA and a server certificate for 127.0.0.1 and localhost (sslmode=verify-full checks both).
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=ngcp-fleet test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  );
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  );
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "server.ext",
    "-out",
    "server.crt",
  );
  for (const entry of [dir, socketDir, join(dir, "server.key"), join(dir, "server.crt")]) {
    chownSync(entry, owner, group);
  }

  const asPostgres = (args: string[], input?: string) => {
    const run = spawnSync("runuser", ["-u", "postgres", "--", ...args], { cwd: dir, input });
    if (run.status !== 0) {
      throw new Error(`${args.join(" ")}: ${run.stderr.toString()}${run.stdout.toString()}`);
    }
    return run.stdout.toString();
  };
  asPostgres([join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "peer", "--no-instructions"]);
  // Only TLS over loopback, with a password; the superuser only over the private socket.
  writeFileSync(
    join(data, "pg_hba.conf"),
    "local all postgres peer\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
  );
  writeFileSync(
    join(data, "postgresql.auto.conf"),
    [
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      `unix_socket_directories = '${socketDir}'`,
      "ssl = on",
      `ssl_cert_file = '${join(dir, "server.crt")}'`,
      `ssl_key_file = '${join(dir, "server.key")}'`,
      "fsync = off",
      "",
    ].join("\n"),
  );
  chownSync(join(data, "pg_hba.conf"), owner, group);
  chownSync(join(data, "postgresql.auto.conf"), owner, group);
  asPostgres([join(bin, "pg_ctl"), "-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]);

  let stopped = false;
  return {
    port,
    caFile: join(dir, "ca.crt"),
    admin(sql: string, database = "postgres"): string {
      return asPostgres(
        [
          "psql",
          "-X",
          "-q",
          "-A",
          "-t",
          "-v",
          "ON_ERROR_STOP=1",
          "-h",
          socketDir,
          "-p",
          String(port),
          "-d",
          database,
        ],
        sql,
      );
    },
    asRole(role: string, password: string, database: string, sql: string) {
      const run = spawnSync(
        "psql",
        [
          "-X",
          "-q",
          "-A",
          "-t",
          "-c",
          sql,
          `host=127.0.0.1 port=${port} dbname=${database} user=${role} sslmode=verify-full sslrootcert=${join(dir, "ca.crt")}`,
        ],
        { env: { ...process.env, PGPASSWORD: password } },
      );
      return { status: run.status ?? 1, output: run.stdout.toString() + run.stderr.toString() };
    },
    stop(): void {
      if (stopped) {
        return;
      }
      stopped = true;
      spawnSync("runuser", [
        "-u",
        "postgres",
        "--",
        join(bin, "pg_ctl"),
        "-D",
        data,
        "-m",
        "fast",
        "-w",
        "stop",
      ]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
