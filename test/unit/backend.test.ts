import { strict as assert } from "node:assert";
import { checkBackendUrl, redactBackendUrl } from "../../engine/backend";
import { backendUrl, engineEnv } from "../../engine/env";

/** The team's state backend (issue 17 item 1): what `ngcp-fleet env --backend` accepts, warns about, refuses. */
describe("state backend URL", () => {
  const good =
    "postgres://ngcp_fleet@db.example.test:5432/ngcp_fleet_state?sslmode=verify-full&sslrootcert=/etc/ssl/team-ca.pem";

  it("takes a PostgreSQL URL with verify-full and no password, silently", () => {
    assert.deepEqual(checkBackendUrl(good), { problems: [], warnings: [] });
    assert.deepEqual(checkBackendUrl("file:///srv/state"), { problems: [], warnings: [] });
  });

  it("refuses a password in the URL, without repeating it", () => {
    const check = checkBackendUrl(good.replace("ngcp_fleet@", "ngcp_fleet:hunter2@"));
    assert.equal(check.problems.length, 1);
    assert.match(check.problems[0], /holds a password: leave it out .* PGPASSWORD or ~\/\.pgpass/);
    assert.ok(!check.problems[0].includes("hunter2"));
    assert.equal(redactBackendUrl("postgres://a:hunter2@h/db"), "postgres://a:***@h/db");
  });

  it("warns when TLS is not verified, and refuses a scheme the engine does not take", () => {
    assert.match(checkBackendUrl("postgres://r@h/db").warnings[0], /sslmode is prefer.*verify-full/);
    assert.match(checkBackendUrl("postgres://r@h/db?sslmode=require").warnings[0], /sslmode is require/);
    assert.match(
      checkBackendUrl("mysql://r@h/db").problems[0],
      /scheme "mysql:" is not one the engine takes/,
    );
    assert.match(checkBackendUrl("not a url").problems[0], /is not a URL/);
  });

  it("picks --backend, then NGCP_FLEET_BACKEND, then PULUMI_BACKEND_URL, then the clone's own file backend", () => {
    const saved = { a: process.env.NGCP_FLEET_BACKEND, b: process.env.PULUMI_BACKEND_URL };
    try {
      delete process.env.NGCP_FLEET_BACKEND;
      delete process.env.PULUMI_BACKEND_URL;
      assert.equal(backendUrl("/clone"), "file:///clone/.pulumi/state");
      process.env.PULUMI_BACKEND_URL = "file:///pulumi";
      assert.equal(backendUrl("/clone"), "file:///pulumi");
      process.env.NGCP_FLEET_BACKEND = good;
      assert.equal(backendUrl("/clone"), good);
      assert.equal(engineEnv({ root: "/clone" }).PULUMI_BACKEND_URL, good);
      assert.equal(backendUrl("/clone", "file:///given"), "file:///given");
    } finally {
      for (const [key, value] of [
        ["NGCP_FLEET_BACKEND", saved.a],
        ["PULUMI_BACKEND_URL", saved.b],
      ] as const) {
        if (value === undefined) {
          delete process.env[key];
        } else {
          process.env[key] = value;
        }
      }
    }
  });
});
