import { createConnection, type Connection } from "mysql2/promise";
import { sessionFor } from "./session";
import type { NodeTarget } from "./target";

export interface MysqlLogin {
  /** @default "root" */
  readonly user?: string;
  /** Empty or absent for a fresh CE, whose MySQL root has no password (handbook 15.3). */
  readonly password?: string;
  readonly database?: string;
  /** @default 3306 */
  readonly port?: number;
}

/**
 * Runs `fn` with a mysql2 connection to the node's own MariaDB, carried through
 * the pooled SSH connection (`forwardOut` to 127.0.0.1, where NGCP restricts
 * its MySQL users). The password goes into the MySQL handshake only: it never
 * reaches a command line, a log or an error message.
 */
export async function withMysql<T>(
  target: NodeTarget,
  login: MysqlLogin,
  fn: (db: Connection) => Promise<T>,
): Promise<T> {
  const session = await sessionFor(target);
  const stream = await session.forward("127.0.0.1", login.port ?? 3306);
  let db: Connection;
  try {
    db = await createConnection({
      stream,
      user: login.user ?? "root",
      password: login.password ?? "",
      database: login.database,
      connectTimeout: target.connectTimeoutMs ?? 10_000,
      multipleStatements: false,
    });
  } catch (err) {
    stream.close();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`node ${target.name}: MySQL login as ${login.user ?? "root"} failed: ${message}`);
  }
  try {
    return await fn(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}
