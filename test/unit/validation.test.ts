import { strict as assert } from "node:assert";
import { validateStack } from "../../components/validate";
import { FEATURE_KEYS } from "../../spec/features";
import { resolveNode } from "../../spec/resolve";

/**
 * The one validation pass (components/validate.ts): GIVEN a stack as an operator writes it, WHEN validated
 * like `pulumi preview` does before any resource is registered, THEN every problem of every feature and
 * node comes back at once, each under its full stack-config key, in one style.
 */

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

function stack(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    nodes: [
      { name: "ngcp1", host: "198.18.0.11", hostKey: HOST_KEY },
      { name: "ngcp2", host: "198.18.0.12", hostKey: HOST_KEY, firewall: { rollbackSeconds: 1 } },
    ],
    adminSources: ["198.18.0.1/32"],
    ...extra,
  };
}

describe("the one validation pass: every bad key of a stack in one report", () => {
  it("GIVEN a bad value under every feature (and one node's override) WHEN validated THEN one report names every key", () => {
    const result = validateStack(
      stack({
        performance: { natpingProcesses: 9 },
        tls: { warnDays: -1 },
        firewall: { policy: "OPEN" },
        mysql: { users: [{ name: "root", password: "Str0ng-Passw0rd-for-e2e" }] },
        systemAccounts: { rootPassword: "sipwise" },
        supportAccess: { enabled: "yes" },
        webCredentials: { administrator: { password: "administrator" } },
        backup: { schedule: "61 * * * *" },
      }),
    );
    assert.equal(result.spec, undefined);
    const expected = [
      "ngcp-fleet:performance.natpingProcesses",
      "ngcp-fleet:tls.warnDays",
      "ngcp-fleet:firewall.policy",
      "ngcp-fleet:mysql.users[0].name",
      "ngcp-fleet:systemAccounts.rootPassword",
      "ngcp-fleet:supportAccess.enabled",
      "ngcp-fleet:webCredentials.administrator.password",
      "ngcp-fleet:backup.schedule",
    ];
    for (const key of expected) {
      assert.ok(
        result.errors.some((e) => e.startsWith(`${key}: `)),
        `${key} missing from:\n${result.errors.join("\n")}`,
      );
    }
    assert.equal(expected.length, FEATURE_KEYS.length, "one bad value per feature");
    // Each problem once: the cluster-wide values are not repeated for the second node.
    assert.equal(new Set(result.errors).size, result.errors.length);
    assert.equal(result.errors.filter((e) => e.startsWith("ngcp-fleet:backup.schedule: ")).length, 1);
  });

  it("GIVEN a node's override WHEN it is what is wrong THEN the error names the node's key, not the cluster's", () => {
    const result = validateStack(stack({ firewall: { policy: "DROP" } }));
    assert.ok(
      result.errors.some((e) => /^ngcp-fleet:nodes\[1\]\.firewall\.rollbackSeconds: .*got: 1/.test(e)),
      result.errors.join("\n"),
    );
    assert.ok(!result.errors.some((e) => e.startsWith("ngcp-fleet:firewall.rollbackSeconds")));
  });

  it("GIVEN bad admin networks WHEN validated THEN each is named under the key it was written at (cluster list or node's own)", () => {
    const result = validateStack({
      ...stack({}),
      nodes: [
        { name: "ngcp1", host: "198.18.0.11", hostKey: HOST_KEY },
        {
          name: "ngcp2",
          host: "198.18.0.12",
          hostKey: HOST_KEY,
          firewall: { adminSources: { ipv4: ["198.18.0.1/32"], ipv6: ["2001:2::1/129"] } },
        },
      ],
      adminSources: ["198.18.0.1/32", "2001:2::/48", "10.1.2.3/8"],
      firewall: { rtpengine: { kind: "userChain" } },
    });
    assert.ok(
      result.errors.some((e) => /^ngcp-fleet:adminSources\[2\]: .*host bits/.test(e)),
      result.errors.join("\n"),
    );
    assert.ok(
      result.errors.some((e) => e.startsWith("ngcp-fleet:nodes[1].firewall.adminSources.ipv6[0]: ")),
      result.errors.join("\n"),
    );
    assert.equal(result.errors.length, 2, result.errors.join("\n"));
    const plain = validateStack({
      nodes: [{ name: "ngcp1", host: "198.18.0.11", hostKey: HOST_KEY }],
      adminSources: ["2001:2::/48", "198.18.0.0/24"],
    }).spec;
    assert.ok(plain, "a plain stack is valid");
    const node = resolveNode(plain, plain.nodes[0]);
    assert.deepEqual(node.adminSourceKeys, {
      ipv4: ["ngcp-fleet:adminSources[1]"],
      ipv6: ["ngcp-fleet:adminSources[0]"],
    });
  });

  it("GIVEN a bad list entry beside bad domain values in one feature WHEN validated THEN every one is named, not only the first", () => {
    const { errors } = validateStack({
      ...stack({}),
      nodes: [{ name: "ngcp1", host: "198.18.0.11", hostKey: HOST_KEY }],
      firewall: {
        adminSources: { ipv4: ["198.18.0.300/32"], ipv6: ["198.18.0.0/24"] },
        ports: { ssh: 70000 },
        extraRules: [
          { name: "ok", protocol: "udp", port: 161, action: "ACCEPT" },
          { name: "snmp", protocol: "sctp", port: 161, action: "ACCEPT" },
        ],
      },
    });
    for (const pattern of [
      /^ngcp-fleet:firewall\.adminSources\.ipv4\[0\]: must be a network/,
      /^ngcp-fleet:firewall\.adminSources\.ipv6\[0\]: must be an IPv6 network/,
      /^ngcp-fleet:firewall\.ports\.ssh: must be an integer port 1\.\.65535, got: 70000/,
      /^ngcp-fleet:firewall\.extraRules\[1\]\.protocol: must be one of "tcp", "udp", "icmp", "icmpv6", "all", got: "sctp"/,
    ]) {
      assert.ok(
        errors.some((e) => pattern.test(e)),
        `${pattern}\n${errors.join("\n")}`,
      );
    }
  });

  it("GIVEN a firewall key that belongs to config.yml WHEN validated THEN the error says where to set it", () => {
    const { errors } = validateStack(
      stack({ firewall: { services: { sipTls: true }, ports: { sip: 5070 } } }),
    );
    assert.ok(
      errors.some((e) =>
        /^ngcp-fleet:firewall\.services\.sipTls: follows config\.yml kamailio\.lb\.tls\.enable/.test(e),
      ),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) =>
        /^ngcp-fleet:firewall\.ports\.sip: is read from config\.yml kamailio\.lb\.port/.test(e),
      ),
      errors.join("\n"),
    );
  });

  it("GIVEN a control character in any value that reaches a file WHEN validated THEN it is refused by key, without echoing the value", () => {
    const secret = "Str0ng-but\nbroken-Passw0rd";
    const { errors, spec } = validateStack(
      stack({
        backup: { schedule: "0 3 * * *\n* * * * * root rm -rf /" },
        mysql: { rootPassword: secret },
        performance: { profile: "low", bufferPoolSize: "1G\u001b" },
      }),
    );
    assert.equal(spec, undefined);
    assert.ok(
      errors.includes(
        "ngcp-fleet:backup.schedule: must not contain control characters (the value is written into a file on the node, where one breaks the line), got: U+000A (line feed) at character 10",
      ),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => e.startsWith("ngcp-fleet:mysql.rootPassword: must not contain control characters")),
    );
    assert.ok(errors.some((e) => /^ngcp-fleet:performance\.bufferPoolSize: .*U\+001B \(escape\)/.test(e)));
    assert.ok(!errors.join("\n").includes("broken-Passw0rd"), "the value of a secret is never shown");
    // The line breaks of PEM text are its format: an inline certificate passes.
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const inline = validateStack(stack({ tls: { web: { certificate: pem } } }));
    assert.ok(!inline.errors.some((e) => e.includes("control characters")), inline.errors.join("\n"));
  });

  it("GIVEN wrong types and enum values WHEN validated THEN each error says what is allowed and what was given", () => {
    const { errors } = validateStack(
      stack({ firewall: { policy: "OPEN", allowPing: "yes" }, backup: { scheduler: "at" } }),
    );
    assert.ok(
      errors.includes('ngcp-fleet:firewall.policy: must be one of "ACCEPT", "DROP", got: "OPEN"'),
      errors.join("\n"),
    );
    assert.ok(
      errors.includes('ngcp-fleet:firewall.allowPing: must be a boolean, got: "yes"'),
      errors.join("\n"),
    );
    assert.ok(
      errors.includes('ngcp-fleet:backup.scheduler: must be one of "cron", "systemd", got: "at"'),
      errors.join("\n"),
    );
  });

  it("GIVEN a misspelt key anywhere WHEN validated THEN it is refused by its full path", () => {
    const { errors } = validateStack(stack({ backup: { retension: { count: 3 } } }));
    assert.ok(
      errors.some((e) => e.startsWith("ngcp-fleet:backup.retension: is not a setting")),
      errors.join("\n"),
    );
  });

  it("GIVEN a valid stack WHEN validated THEN the typed spec comes back and nothing is wrong", () => {
    const result = validateStack(
      stack({
        nodes: [{ name: "ngcp1", host: "198.18.0.11", hostKey: HOST_KEY }],
        performance: { profile: "low" },
        backup: { retention: { count: 3 } },
      }),
    );
    assert.deepEqual(result.errors, []);
    assert.ok(result.spec);
  });

  describe("warnings: legal but dangerous values, with why", () => {
    it("trustUnknownHostKeys on a production stack", () => {
      const result = validateStack({
        environment: "production",
        ssh: { trustUnknownHostKeys: true },
        nodes: [{ name: "ngcp1", host: "198.18.0.11" }],
      });
      assert.deepEqual(result.errors, []);
      assert.ok(
        result.warnings.some((w) =>
          /^ngcp-fleet:ssh\.trustUnknownHostKeys: true on a production stack: any host key/.test(w),
        ),
        result.warnings.join("\n"),
      );
    });

    it("a backup retention of a single copy, named at the node that sets it", () => {
      const result = validateStack(
        stack({
          nodes: [
            { name: "ngcp1", host: "198.18.0.11", hostKey: HOST_KEY, backup: { retention: { count: 1 } } },
          ],
          backup: { schedule: "30 3 * * *" },
        }),
      );
      assert.deepEqual(result.errors, []);
      assert.ok(
        result.warnings.some((w) =>
          /^ngcp-fleet:nodes\[0\]\.backup\.retention\.count: 1 keeps a single backup/.test(w),
        ),
        result.warnings.join("\n"),
      );
    });

    it("no warning for a lab stack with sane values", () => {
      const result = validateStack(
        stack({ nodes: [{ name: "ngcp1", host: "198.18.0.11", hostKey: HOST_KEY }] }),
      );
      assert.deepEqual(result.warnings, []);
    });
  });

  it("resolves the admin networks in one shape: firewall.adminSources over the cluster's list, split by family", () => {
    const result = validateStack(
      stack({
        nodes: [
          { name: "ngcp1", host: "198.18.0.11", hostKey: HOST_KEY },
          {
            name: "ngcp2",
            host: "198.18.0.12",
            hostKey: HOST_KEY,
            firewall: { adminSources: { ipv4: ["10.0.0.0/8"] } },
          },
        ],
        adminSources: ["198.18.0.1/32", "2001:2::1/128"],
        firewall: { policy: "DROP" },
      }),
    );
    assert.ok(result.spec, result.errors.join("\n"));
    const [one, two] = result.spec.nodes.map((node) => resolveNode(result.spec!, node));
    assert.deepEqual(one.adminSources, { ipv4: ["198.18.0.1/32"], ipv6: ["2001:2::1/128"] });
    assert.equal(one.adminSourcesFrom, "adminSources");
    assert.deepEqual(two.adminSources, { ipv4: ["10.0.0.0/8"], ipv6: [] });
    assert.equal(two.adminSourcesFrom, "firewall.adminSources");
  });
});
