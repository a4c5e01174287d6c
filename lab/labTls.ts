import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LAB_TLS_DOMAIN, type LabStackTls } from "./core/render/stack";
import type { LabPaths } from "./paths";

/**
 * The lab's certificate authority and one EC P-256 leaf for `*.ngcp-lab.test` it issued, generated once into
 * `.lab/tls/` with the openssl CLI and kept across `lab down` (like the host keys), so the lab stack's `tls`
 * feature has real, valid, CA-issued material without any secret in the stack: the stack names the files.
 * Returns their absolute paths.
 */
export function ensureLabTls(p: LabPaths): LabStackTls {
  const dir = path.join(p.labDir, "tls");
  const files: LabStackTls = {
    certificateFile: path.join(dir, "web.crt"),
    chainFile: path.join(dir, "ca.crt"),
    privateKeyFile: path.join(dir, "web.key"),
  };
  if (Object.values(files).every((f) => fs.existsSync(f))) {
    return files;
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = path.join(dir, "ca.key");
  const csr = path.join(dir, "web.csr");
  const ext = path.join(dir, "web.ext");
  const openssl = (args: readonly string[]): void => {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(
    ["req", "-x509", ...ec, "-sha256", "-days", "3650", "-keyout", caKey, "-out", files.chainFile]
      .concat(["-subj", "/O=ngcp-fleet lab/CN=ngcp-fleet lab CA"])
      .concat([
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ]),
  );
  openssl([
    "req",
    "-new",
    ...ec,
    "-keyout",
    files.privateKeyFile,
    "-out",
    csr,
    "-subj",
    `/CN=*.${LAB_TLS_DOMAIN}`,
  ]);
  fs.writeFileSync(
    ext,
    [
      `subjectAltName=DNS:*.${LAB_TLS_DOMAIN},DNS:${LAB_TLS_DOMAIN}`,
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"),
  );
  openssl(
    ["x509", "-req", "-in", csr, "-CA", files.chainFile, "-CAkey", caKey, "-CAcreateserial"].concat([
      "-sha256",
      "-days",
      "825",
      "-extfile",
      ext,
      "-out",
      files.certificateFile,
    ]),
  );
  fs.chmodSync(files.privateKeyFile, 0o600);
  fs.chmodSync(caKey, 0o600);
  fs.rmSync(csr, { force: true });
  return files;
}
