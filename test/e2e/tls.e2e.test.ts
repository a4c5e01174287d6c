import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Deployment, OpType, Stack, UpResult } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { engineEnv } from "../../engine/env";
import { projectRoot } from "../../engine/paths";
import { labStatus } from "../../lab";
import { opensslSha256Fingerprint, testPki, type CertAndKey, type TestPki } from "../support/certs";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { nodeShell } from "../support/labTargets";
import { appliesOn as appliesOnNode, configValue as configValueOn } from "../support/ngcpConfigNode";

/** The only lab node these tests touch (the lab is shared). */
const NODE = "ngcp4";
const SSL = "/etc/ngcp-config/ssl";
/** Where the node's config.yml is kept while the tests run, to be put back at the end. */
const BACKUP = "/root/config.yml.e2e-tls";
const PORTS = { csc: 443, admin: 1443, provisioning: 2443, sipTls: 5061 } as const;

function nodeAddress(): string {
  const node = labStatus().nodes.find((n) => n.name === NODE);
  if (!node) {
    throw new Error(`lab node ${NODE} is not up`);
  }
  return node.address;
}

/** Names, modes, owners and hashes of the node's certificate directory: "nothing uploaded" compares it. */
function sslListing(): string {
  return nodeShell(NODE, `cd ${SSL} && stat -c '%n %a %U:%G' * && sha256sum *`);
}

/** What a TLS client sees on a port of the node, by the openssl CLI (independent of the code under test). */
function servedOn(port: number): string {
  const out = execFileSync(
    "sh",
    [
      "-c",
      `openssl s_client -connect "$1:$2" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
      "sh",
      nodeAddress(),
      String(port),
    ],
    { encoding: "utf8", timeout: 15_000 },
  );
  return out.trim().split("=")[1] ?? `nothing served on ${port}`;
}

function fingerprint(material: CertAndKey): string {
  return opensslSha256Fingerprint(material.cert);
}

/** The base64 lines of a PEM key: any of them in the state or the engine's output is a leak. */
function keyLines(pem: string): string[] {
  return pem
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length >= 16 && !line.startsWith("-----"));
}

/** The outputs of the one resource of a type in an exported deployment. */
function resourceState(
  state: Deployment,
  type: string,
): { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } {
  const resources = (
    state.deployment as {
      resources?: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[];
    }
  ).resources;
  const found = (resources ?? []).filter((r) => r.type.endsWith(`:${type}`));
  assert.equal(found.length, 1, `one ${type} in the state`);
  return found[0];
}

function resourceOutputs(state: Deployment, type: string): Record<string, unknown> {
  return resourceState(state, type).outputs ?? {};
}

function resourceInputs(state: Deployment, type: string): Record<string, unknown> {
  return resourceState(state, type).inputs ?? {};
}

function changes(result: UpResult, op: OpType): number {
  return result.summary.resourceChanges?.[op] ?? 0;
}

/**
 * Handbook 15.4 on the real engine, on one lab node: certificates validated before upload, installed
 * over SFTP with one `ngcpcfg apply`, rotated in place, repaired after a hand edit, and proven by what
 * each port serves.
 */
const appliesOn = (): number => appliesOnNode(NODE);
const configValue = (key: string): string => configValueOn(NODE, key);

describe("e2e: TLS certificates (handbook 15.4) on one node", function () {
  this.timeout(600_000);
  const stackName = `e2e-tls-${process.pid}`;
  let stack: Stack;
  let pki: TestPki;
  const started = Date.now();
  /** The engine's output of every operation, searched for key material at the end. */
  const outputsSeen: string[] = [];

  async function configure(tls: Record<string, unknown>, environment = "lab", secret = true): Promise<void> {
    const status = labStatus();
    const node = status.nodes.find((n) => n.name === NODE);
    assert.ok(node, `lab node ${NODE} is up`);
    await stack.setAllConfig({
      "ngcp-fleet:environment": { value: environment },
      "ngcp-fleet:ssh": { value: JSON.stringify({ user: "root", privateKeyPath: status.deployerKey }) },
      "ngcp-fleet:nodes": {
        value: JSON.stringify([{ name: NODE, host: node.address, hostKey: node.hostKey }]),
      },
      "ngcp-fleet:adminSources": {
        value: JSON.stringify([`${status.deployer?.address ?? "198.18.0.1"}/32`]),
      },
      // Holds private keys: secret in the stack file, as an operator would set it.
      "ngcp-fleet:tls": { value: JSON.stringify(tls), secret },
    });
  }

  const shared = (material: CertAndKey) => ({
    web: {
      certificate: material.cert,
      chain: pki.intermediate.cert,
      privateKey: material.key,
      hostname: "ngcp.example.test",
    },
  });

  before(async () => {
    await ensureLab(Number(NODE.replace("ngcp", "")));
    pki = testPki();
    // GIVEN the node as it is now, kept to be put back at the end (the lab is shared)
    nodeShell(NODE, `cp -p /etc/ngcp-config/config.yml ${BACKUP}`);
    stack = await openStack(stackName, { passphrase: "e2e-only" });
  });

  after(async () => {
    nodeShell(NODE, "ngcp-lab-services start csc >/dev/null 2>&1 || true");
    await disposeStack(stack, stackName);
    nodeShell(
      NODE,
      `if [ -f ${BACKUP} ]; then cp -p ${BACKUP} /etc/ngcp-config/config.yml && rm -f ${BACKUP} && ` +
        `ngcpcfg apply --force-all-services 'e2e-tls: back to the vendor certificates' >/dev/null; fi; ` +
        `rm -f ${SSL}/ngcp-fleet-*`,
    );
    console.log(`    (tls e2e: ${Math.round((Date.now() - started) / 1000)} s)`);
  });

  it("refuses every bad input in preview, naming service and config key, with nothing uploaded", async () => {
    const before = [sslListing(), appliesOn()].join();
    // GIVEN a private key in stack config that is not secret: refused before any resource is registered
    await configure(shared(pki.rsaLeaf), "lab", false);
    const unsecret = await stack.preview({}).then(
      () => assert.fail("preview accepted a private key in clear config"),
      (err: Error) => err.message,
    );
    assert.match(
      unsecret,
      /ngcp-fleet:tls\.web\.privateKey: is a secret but is written in clear in stacks\/Pulumi\.[\w-]+\.yaml/,
    );
    // GIVEN a production stack (`environment: production` sets `production`) and bad inputs in every
    // service: check reports them all in one preview
    await configure(
      {
        mode: "perService",
        services: {
          csc: {
            certificate: pki.rsaLeaf.cert,
            chain: pki.intermediate.cert,
            privateKey: pki.strayKey,
            hostname: "portal.other.example",
          },
          admin: {
            certificate: pki.expiredLeaf.cert,
            chain: pki.rsaLeaf.key,
            privateKey: pki.expiredLeaf.key,
          },
          provisioning: {
            certificate: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
            privateKey: pki.rsaLeaf.key,
          },
          rest: { certificate: pki.selfSignedLeaf.cert, privateKey: pki.selfSignedLeaf.key },
        },
        sipTls: {
          enable: true,
          certificate: pki.weakRsaLeaf.cert,
          chain: pki.root.cert + pki.intermediate.cert,
          privateKey: pki.weakRsaLeaf.key,
        },
      },
      "production",
    );
    const message = await stack.preview({}).then(
      () => assert.fail("preview accepted bad certificates"),
      (err: Error) => err.message,
    );
    outputsSeen.push(message);
    const expected: [string, RegExp][] = [
      [
        "mismatched key",
        /customer self-care interface \(www_admin\.http_csc\.sslcertkeyfile\): the private key does not match the certificate/,
      ],
      [
        "hostname not covered",
        /customer self-care interface \(www_admin\.http_csc\.sslcertfile\): hostname portal\.other\.example is not covered/,
      ],
      [
        "expired",
        /administrator interface \(www_admin\.http_admin\.sslcertfile\): certificate \(CN=expired-leaf\.example\.test\) expired on 2021-01-01/,
      ],
      [
        "key where a certificate is expected",
        /administrator interface \(www_admin\.http_admin\.sslcertfile\): a private key was given where PEM certificates are expected/,
      ],
      [
        "garbage PEM",
        /provisioning interface \(ossbss\.apache\.autoprov\.sslcertfile\): is not a valid X\.509 certificate/,
      ],
      [
        "self-signed in production",
        /REST interface \(ossbss\.apache\.restapi\.sslcertfile\): the certificate \(CN=self-signed-leaf\.example\.test\) is self-signed, refused for a production stack/,
      ],
      [
        "weak key",
        /SIP over TLS \(kamailio\.lb\.tls\.sslcertfile\): certificate \(CN=weak-rsa-leaf\.example\.test\) has a weak key: RSA 1024 bits/,
      ],
      ["chain out of order", /SIP over TLS \(kamailio\.lb\.tls\.sslcertfile\): chain out of order/],
    ];
    for (const [what, pattern] of expected) {
      assert.match(message, pattern, what);
    }
    // THEN nothing reached the node, and no error quoted a key
    assert.equal([sslListing(), appliesOn()].join(), before);
    for (const key of [
      pki.strayKey,
      pki.rsaLeaf.key,
      pki.weakRsaLeaf.key,
      pki.selfSignedLeaf.key,
      pki.expiredLeaf.key,
    ]) {
      for (const line of keyLines(key)) {
        assert.ok(!message.includes(line), "a preview error contains key material");
      }
    }
  });

  it("installs one certificate shared by the web interfaces, from files on the deployer, with one apply", async () => {
    const applies = appliesOn();
    // GIVEN the PEM files on the deployer (the test PKI's own files)
    await configure({
      web: {
        certificateFile: join(pki.dir, "rsa-leaf.crt"),
        chainFile: join(pki.dir, "intermediate.crt"),
        privateKeyFile: join(pki.dir, "rsa-leaf.key"),
        hostname: "ngcp.example.test",
      },
    });
    const result = await stack.up({});
    outputsSeen.push(result.stdout);
    assert.equal(appliesOn(), applies + 1, "exactly one ngcpcfg apply");
    // THEN the files are there with their modes, config.yml points at them, every web port serves it
    const modes = nodeShell(
      NODE,
      `stat -c '%n %a %U:%G' ${SSL}/ngcp-fleet-web.crt ${SSL}/ngcp-fleet-web.key`,
    );
    assert.match(modes, /ngcp-fleet-web\.crt 644 root:root/);
    assert.match(modes, /ngcp-fleet-web\.key 600 root:root/);
    for (const key of [
      "ossbss.apache.autoprov",
      "ossbss.apache.restapi",
      "www_admin.http_admin",
      "www_admin.http_csc",
    ]) {
      assert.equal(configValue(`${key}.sslcertfile`), `${SSL}/ngcp-fleet-web.crt`);
      assert.equal(configValue(`${key}.sslcertkeyfile`), `${SSL}/ngcp-fleet-web.key`);
    }
    for (const port of [PORTS.csc, PORTS.admin, PORTS.provisioning]) {
      assert.equal(servedOn(port), fingerprint(pki.rsaLeaf), `port ${port}`);
    }
    // AND the outputs carry fingerprint and days left per service
    const tls = (
      result.outputs.nodes.value as Record<string, { tls: { certificates: Record<string, unknown> } }>
    )[NODE].tls;
    const csc = tls.certificates.csc as { sha256Fingerprint: string; daysLeft: number };
    assert.equal(csc.sha256Fingerprint, fingerprint(pki.rsaLeaf));
    assert.ok(csc.daysLeft >= 363 && csc.daysLeft <= 365, `daysLeft ${csc.daysLeft}`);
  });

  it("rotates in place: preview shows the fingerprint change, one apply, the ports serve the new one", async () => {
    const applies = appliesOn();
    // GIVEN a new certificate (inline PEM, secret) at the same paths
    await configure(shared(pki.ecLeaf));
    const preview = await stack.preview({ diff: true });
    outputsSeen.push(preview.stdout);
    assert.match(preview.stdout, new RegExp(`${fingerprint(pki.rsaLeaf)}.*=>.*${fingerprint(pki.ecLeaf)}`));
    const result = await stack.up({});
    outputsSeen.push(result.stdout);
    assert.equal(changes(result, "replace"), 0);
    assert.equal(changes(result, "create"), 0);
    assert.ok(changes(result, "update") >= 3, JSON.stringify(result.summary.resourceChanges));
    assert.equal(appliesOn(), applies + 1, "exactly one ngcpcfg apply");
    for (const port of [PORTS.csc, PORTS.admin, PORTS.provisioning]) {
      assert.equal(servedOn(port), fingerprint(pki.ecLeaf), `port ${port}`);
    }
  });

  it("shows hand edits on refresh (certificate replaced, key deleted, a port serving another one); up repairs all", async () => {
    const installed = nodeShell(NODE, `sha256sum ${SSL}/ngcp-fleet-web.crt`).split(" ")[0];
    // GIVEN someone replaced our certificate, removed our key, and pointed the running web services at the
    // vendor's default certificate (their generated config edited by hand, services restarted)
    nodeShell(NODE, `cat > ${SSL}/ngcp-fleet-web.crt && rm ${SSL}/ngcp-fleet-web.key`, pki.directLeaf.cert);
    nodeShell(
      NODE,
      `sed -i 's#${SSL}/ngcp-fleet-web#${SSL}/myserver#' /etc/ngcp-lab/services.json && ngcp-lab-services restart >/dev/null`,
    );
    assert.notEqual(
      servedOn(PORTS.csc),
      fingerprint(pki.ecLeaf),
      "GIVEN the port serves another certificate",
    );
    // WHEN refreshed: the drift is in the state, named by kind, with fingerprints and paths only
    const refresh = await stack.refresh({});
    outputsSeen.push(refresh.stdout);
    assert.ok((refresh.summary.resourceChanges?.update ?? 0) >= 2, JSON.stringify(refresh.summary));
    const drift = resourceOutputs(await stack.exportStack(), "TlsCertificates").drift as string[];
    const text = drift.join("\n");
    assert.match(text, new RegExp(`drift \\(certificate-replaced\\).*holds ${fingerprint(pki.directLeaf)}`));
    assert.match(
      text,
      /drift \(key-deleted\): key file \/etc\/ngcp-config\/ssl\/ngcp-fleet-web\.key is missing/,
    );
    assert.match(text, /drift \(served-certificate-differs\)/);
    const mismatches = resourceOutputs(await stack.exportStack(), "TlsHandshakeCheck").mismatches as string[];
    assert.ok(mismatches.length >= 1, "the handshake check reports the port on refresh");
    // THEN the next up puts our files back, with their modes, and one apply makes the ports serve them
    const applies = appliesOn();
    outputsSeen.push((await stack.up({})).stdout);
    assert.equal(nodeShell(NODE, `sha256sum ${SSL}/ngcp-fleet-web.crt`).split(" ")[0], installed);
    assert.match(nodeShell(NODE, `stat -c '%a %U:%G' ${SSL}/ngcp-fleet-web.key`), /^600 root:root/);
    assert.equal(appliesOn(), applies + 1, "exactly one ngcpcfg apply");
    for (const port of [PORTS.csc, PORTS.admin, PORTS.provisioning]) {
      assert.equal(servedOn(port), fingerprint(pki.ecLeaf), `port ${port}`);
    }
  });

  it("fails the up with a clear error when a port does not serve the new certificate", async () => {
    // GIVEN the self-care interface down (it keeps its old state through ngcpcfg apply)
    nodeShell(NODE, "ngcp-lab-services stop csc >/dev/null");
    // WHEN switching to one certificate per service, and SIP over TLS on
    await configure({
      mode: "perService",
      services: {
        csc: { certificate: pki.rsaLeaf.cert, chain: pki.intermediate.cert, privateKey: pki.rsaLeaf.key },
        admin: { certificate: pki.ecLeaf.cert, chain: pki.intermediate.cert, privateKey: pki.ecLeaf.key },
        provisioning: { certificate: pki.directLeaf.cert, privateKey: pki.directLeaf.key },
        rest: { certificate: pki.directLeaf.cert, privateKey: pki.directLeaf.key },
      },
      sipTls: {
        enable: true,
        certificate: pki.ecLeaf.cert,
        chain: pki.intermediate.cert,
        privateKey: pki.ecLeaf.key,
      },
    });
    const applies = appliesOn();
    await assert.rejects(stack.up({}), (err: Error) => {
      outputsSeen.push(err.message);
      return new RegExp(
        `TLS handshake check failed: node ${NODE}: the customer self-care interface on [0-9.]+:443 \\(www_admin\\.http_csc\\.port\\) ` +
          `did not complete a TLS handshake \\(.*ECONNREFUSED.*\\), expected certificate ${fingerprint(pki.rsaLeaf)}`,
      ).test(err.message);
    });
    assert.equal(appliesOn(), applies + 1, "the apply ran once; the check failed after it");
    // THEN with the service back, the next up passes the check: every port serves its own certificate
    nodeShell(NODE, "ngcp-lab-services start csc >/dev/null");
    outputsSeen.push((await stack.up({})).stdout);
    assert.equal(servedOn(PORTS.csc), fingerprint(pki.rsaLeaf));
    assert.equal(servedOn(PORTS.admin), fingerprint(pki.ecLeaf));
    assert.equal(servedOn(PORTS.provisioning), fingerprint(pki.directLeaf));
    assert.equal(servedOn(PORTS.sipTls), fingerprint(pki.ecLeaf));
    assert.equal(configValue("www_admin.http_csc.sslcertkeyfile"), `${SSL}/ngcp-fleet-csc.key`);
    assert.equal(configValue("kamailio.lb.tls.enable"), "yes");
  });

  it("changes nothing and applies nothing on the next up", async () => {
    const applies = appliesOn();
    outputsSeen.push((await stack.up({ expectNoChanges: true })).stdout);
    assert.equal(appliesOn(), applies);
  });

  it("keeps every private key out of `pulumi stack export`, the state file and every engine output", async () => {
    // `pulumi stack export` as an operator runs it (the Automation API's exportStack adds --show-secrets)
    const env = {
      ...process.env,
      ...engineEnv({ root: projectRoot(), stack: stackName }),
      PULUMI_CONFIG_PASSPHRASE: "e2e-only",
    };
    const exported = execFileSync(
      join(projectRoot(), ".pulumi", "bin", "pulumi"),
      ["stack", "export", "--stack", stackName],
      {
        cwd: projectRoot(),
        env,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const stateFile = readFileSync(
      join(projectRoot(), ".pulumi", "state", ".pulumi", "stacks", "ngcp-fleet", `${stackName}.json`),
      "utf8",
    );
    const outputs = JSON.stringify(await stack.outputs());
    const seen = [outputs, ...outputsSeen].join("\n");
    assert.ok(outputsSeen.length >= 8, `engine outputs collected: ${outputsSeen.length}`);
    for (const [where, text] of [
      ["pulumi stack export", exported],
      ["the state file", stateFile],
      ["the engine's output", seen],
    ]) {
      assert.ok(!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text), `${where} contains a PEM private key`);
      for (const key of [pki.rsaLeaf.key, pki.ecLeaf.key, pki.directLeaf.key, pki.strayKey]) {
        for (const line of keyLines(key)) {
          assert.ok(!text.includes(line), `${where} contains key material`);
        }
      }
    }
    // AND the key material is in the inputs alone, as a secret; the outputs name certificates by fingerprint
    const deployment = JSON.parse(exported) as Deployment;
    const inputs = resourceInputs(deployment, "TlsCertificates");
    assert.ok(
      typeof inputs.tls === "object" && inputs.tls !== null && "ciphertext" in inputs.tls,
      "tls is a secret",
    );
    assert.equal(
      "tls" in resourceOutputs(deployment, "TlsCertificates"),
      false,
      "the outputs keep no key material",
    );
    assert.ok(exported.includes(fingerprint(pki.rsaLeaf)));
  });
});
