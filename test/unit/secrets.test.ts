import { strict as assert } from "node:assert";
import { parse as parseYaml } from "yaml";
import { plainSecretProblems, unsecretKeyProblems } from "../../spec/secrets";

/**
 * Secrets by leaf (spec/secrets.ts): GIVEN a stack file as `pulumi config set` writes it, WHEN the program
 * starts, THEN every secret written in clear is named by its full key with the command that fixes it, however
 * deep it sits and whatever is secure beside it.
 */

const SECURE = "{ secure: 'v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB' }";

function fileOf(yaml: string): { name: string; config: Record<string, unknown> } {
  const document = parseYaml(yaml) as { config: Record<string, unknown> };
  return { name: "stacks/Pulumi.prod.yaml", config: document.config };
}

describe("secrets by leaf: no secret in clear in the stack file", () => {
  it("GIVEN a plain password beside a secure one in the same object WHEN checked THEN the plain one is named, not the secure one", () => {
    const problems = plainSecretProblems(
      fileOf(`
config:
  ngcp-fleet:mysql:
    rootPassword: Plain-Root-Passw0rd
    users:
      - name: reporting
        password: ${SECURE}
        grants: [{ privileges: SELECT, on: "accounting.*" }]
`),
      "ngcp-fleet",
    );
    assert.deepEqual(problems, [
      "ngcp-fleet:mysql.rootPassword: is a secret but is written in clear in stacks/Pulumi.prod.yaml; make it secret with `pulumi config set --secret --path 'ngcp-fleet:mysql.rootPassword'`",
    ]);
    assert.ok(!problems.join().includes("Plain-Root-Passw0rd"), "the value is never shown");
  });

  it("GIVEN secrets deep under nodes, TLS and the top-level SSH key WHEN checked THEN each is named by its full path", () => {
    const problems = plainSecretProblems(
      fileOf(`
config:
  ngcp-fleet:sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3Blbn\\n-----END OPENSSH PRIVATE KEY-----\\n"
  ngcp-fleet:nodes:
    - name: ngcp1
      host: 198.18.0.11
      webCredentials:
        administrator:
          password: ${SECURE}
          currentPassword: administrator
  ngcp-fleet:tls:
    web:
      privateKey: "-----BEGIN PRIVATE KEY-----\\nMII\\n-----END PRIVATE KEY-----\\n"
      privateKeyFile: certs/web.key
    sipTls:
      privateKey: ${SECURE}
  ngcp-fleet:backup:
    offNode: { privateKeyPath: /root/.ssh/id_ed25519 }
  aws:password: not-ours
`),
      "ngcp-fleet",
    ).map((problem) => problem.slice(0, problem.indexOf(": ")));
    assert.deepEqual(problems, [
      "ngcp-fleet:sshPrivateKey",
      "ngcp-fleet:nodes[0].webCredentials.administrator.currentPassword",
      "ngcp-fleet:tls.web.privateKey",
    ]);
  });

  it("GIVEN an object set without --path (one JSON string) WHEN checked THEN its secret leaves are found", () => {
    const problems = plainSecretProblems(
      { name: "stacks/Pulumi.ci.yaml", config: { "ngcp-fleet:mysql": '{"rootPassword":"x","users":[]}' } },
      "ngcp-fleet",
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^ngcp-fleet:mysql\.rootPassword: is a secret/);
  });

  it("GIVEN a whole object set with --secret WHEN checked THEN every leaf under it is secret", () => {
    assert.deepEqual(
      plainSecretProblems(fileOf(`config:\n  ngcp-fleet:mysql: ${SECURE}\n`), "ngcp-fleet"),
      [],
    );
  });

  it("GIVEN no stack file (config from elsewhere) WHEN a top-level key holds a secret leaf THEN that key must be secret as a whole", () => {
    const raw = {
      mysql: { rootPassword: "x", users: [{ password: "y" }] },
      systemAccounts: { rootPassword: "z" },
    };
    const problems = unsecretKeyProblems(raw, "ngcp-fleet", (key) => key === "ngcp-fleet:systemAccounts");
    assert.deepEqual(
      problems.map((problem) => problem.slice(0, problem.indexOf(": "))),
      ["ngcp-fleet:mysql.rootPassword", "ngcp-fleet:mysql.users[0].password"],
    );
  });
});
