import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { passwordFromBytes } from "./core/seed/credentials";
import {
  NGCPSOAP_PASSWORD_FILE,
  renderWebAdmins,
  seedWebAdmins,
  WEB_ADMINS_FILE,
  WEB_SALT_BYTES,
} from "./core/webAdmins";

/**
 * The web panel's accounts as the installer leaves them (handbook 15.3): `administrator` with its factory
 * password, `ngcpsoap` with a password unique to the node, recorded for the operator in a 0600 root file
 * (lab/README.md, "The REST API of the admin and provisioning interfaces"). Only when the node has no
 * accounts yet, so a node's changed passwords survive reboots and restarts.
 *
 * Runs where the files are: on the deployer when `lab up` creates a disk (`at` maps a node path to the disk),
 * and in the services daemon when it starts (identity), which seeds a node whose disk predates the REST API.
 * Returns whether it seeded.
 */
export function seedWebAdminsIfAbsent(at: (nodePath: string) => string = (p) => p): boolean {
  const admins = at(WEB_ADMINS_FILE);
  if (fs.existsSync(admins)) {
    return false;
  }
  const soap = passwordFromBytes(randomBytes(24));
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  };
  write(at(NGCPSOAP_PASSWORD_FILE), `${soap}\n`);
  write(
    admins,
    renderWebAdmins(
      seedWebAdmins(soap, {
        administrator: randomBytes(WEB_SALT_BYTES),
        ngcpsoap: randomBytes(WEB_SALT_BYTES),
      }),
    ),
  );
  return true;
}
