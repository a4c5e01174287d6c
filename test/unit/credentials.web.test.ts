import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  basicAuthorization,
  classifyLoginStatus,
  describeRequest,
  findAdminRequest,
  parseAdminId,
  patchPasswordRequest,
  patchSucceeded,
} from "../../providers/webCredentials/api";
import {
  planWebPassword,
  validateWebCredentials,
  webLoginCandidates,
  webPasswordDrift,
  type LoginAttempt,
  type WebCredentialsInputs,
} from "../../providers/webCredentials/planner";

const NEW = "Web-Admin-Pass-2024!";

describe("credentials/web: the documented REST calls", () => {
  it("finds the admin by login with a GET that carries no secret", () => {
    assert.deepEqual(findAdminRequest("administrator"), {
      method: "GET",
      path: "/api/admins/?login=administrator",
      headers: { Accept: "application/hal+json" },
    });
  });

  it("changes the password with a JSON patch whose body is the only place of the new password", () => {
    const req = patchPasswordRequest(1, NEW);
    assert.equal(req.method, "PATCH");
    assert.equal(req.path, "/api/admins/1");
    assert.equal(req.headers["Content-Type"], "application/json-patch+json");
    assert.deepEqual(JSON.parse(req.body ?? ""), [{ op: "replace", path: "/password", value: NEW }]);
    assert.ok(!JSON.stringify(req.headers).includes(NEW));
    assert.equal(describeRequest(req), "PATCH /api/admins/1 (body withheld)");
  });

  it("builds the basic-auth header only on request", () => {
    assert.equal(
      basicAuthorization("administrator", "administrator"),
      "Basic YWRtaW5pc3RyYXRvcjphZG1pbmlzdHJhdG9y",
    );
  });

  it("classifies login statuses and PATCH results", () => {
    assert.deepEqual([200, 401, 403, 500, 404].map(classifyLoginStatus), [
      "accepted",
      "rejected",
      "rejected",
      "error",
      "error",
    ]);
    assert.deepEqual([200, 204, 422].map(patchSucceeded), [true, true, false]);
  });

  it("reads the admin's id from the HAL collection, matching the login exactly (the filter is a LIKE)", () => {
    const body = JSON.stringify({
      _embedded: {
        "ngcp:admins": [
          { id: 7, login: "administrator2" },
          { id: 1, login: "administrator" },
        ],
      },
      total_count: 2,
    });
    assert.equal(parseAdminId(body, "administrator"), 1);
    assert.equal(
      parseAdminId(
        JSON.stringify({ _embedded: { "ngcp:admins": { id: 3, login: "ngcpsoap" } } }),
        "ngcpsoap",
      ),
      3,
    );
    assert.equal(parseAdminId(JSON.stringify({ total_count: 0 }), "ngcpsoap"), undefined);
    assert.throws(() => parseAdminId("<html>", "x"), /not JSON/);
  });
});

describe("credentials/web: planning a password change by logging in", () => {
  const account = { password: NEW };
  const candidates = webLoginCandidates("administrator", account, "Old-Web-Pass-2023!");

  it("tries the desired, previous and vendor-default passwords in that order", () => {
    assert.deepEqual(
      candidates.map((c) => c.source),
      ["desired", "previous", "vendorDefault"],
    );
    assert.equal(candidates[2].password, "administrator");
  });

  const cases: [string, LoginAttempt[], string, string?][] = [
    ["starts with the desired password", [], "tryNext", "desired"],
    [
      "does nothing when the desired password is accepted (second up)",
      [{ source: "desired", outcome: "accepted" }],
      "none",
    ],
    ["tries the previous one next", [{ source: "desired", outcome: "rejected" }], "tryNext", "previous"],
    [
      "patches after logging in with the factory default (first up)",
      [
        { source: "desired", outcome: "rejected" },
        { source: "previous", outcome: "rejected" },
        { source: "vendorDefault", outcome: "accepted" },
      ],
      "patch",
    ],
    [
      "fails, asking for currentPassword, when nothing is accepted",
      [
        { source: "desired", outcome: "rejected" },
        { source: "previous", outcome: "rejected" },
        { source: "vendorDefault", outcome: "rejected" },
      ],
      "fail",
    ],
    [
      "fails at once on an HTTP error instead of burning candidates",
      [{ source: "desired", outcome: "error", status: 502 }],
      "fail",
    ],
  ];
  for (const [what, attempts, action, next] of cases) {
    it(what, () => {
      const plan = planWebPassword("administrator", candidates, attempts);
      assert.equal(plan.action, action);
      if (next !== undefined) {
        assert.equal(plan.action === "tryNext" && plan.next, next);
      }
    });
  }

  it("names currentPassword in the failure", () => {
    const plan = planWebPassword("ngcpsoap", webLoginCandidates("ngcpsoap", account), [
      { source: "desired", outcome: "rejected" },
    ]);
    assert.equal(plan.action, "fail");
    assert.match(plan.description, /set ngcpsoap\.currentPassword/);
  });

  it("reports drift when the desired password is refused on refresh", () => {
    assert.match(webPasswordDrift("administrator", "rejected") ?? "", /changed outside the stack/);
    assert.equal(webPasswordDrift("administrator", "accepted"), undefined);
  });

  it("never puts a password into a plan description (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.array(fc.constantFrom("accepted", "rejected", "error"), { maxLength: 4 }),
        (a, b, outcomes) => {
          const password = `${a}\u2603${b}`;
          const c = webLoginCandidates(
            "administrator",
            { password, currentPassword: `${password}1` },
            `${password}2`,
          );
          const attempts = outcomes
            .slice(0, c.length)
            .map((outcome, i) => ({ source: c[i].source, outcome: outcome as LoginAttempt["outcome"] }));
          assert.ok(!planWebPassword("administrator", c, attempts).description.includes(password));
        },
      ),
    );
  });
});

describe("credentials/web: validation (preview fails naming the key)", () => {
  const cases: [string, WebCredentialsInputs, string, RegExp][] = [
    [
      "an empty administrator password",
      { administrator: { password: "" } },
      "administrator.password",
      /must not be empty/,
    ],
    [
      "the factory default",
      { administrator: { password: "administrator" } },
      "administrator.password",
      /default/,
    ],
    ["a weak ngcpsoap password", { ngcpsoap: { password: "soap1234" } }, "ngcpsoap.password", /too weak/],
    [
      "an empty currentPassword",
      { ngcpsoap: { password: NEW, currentPassword: "" } },
      "ngcpsoap.currentPassword",
      /must not be empty/,
    ],
    ["a port out of range", { administrator: { password: NEW }, port: 70000 }, "port", /1-65535/],
    ["nothing to manage", {}, "administrator", /nothing to manage/],
  ];
  for (const [what, inputs, property, reason] of cases) {
    it(`refuses ${what}`, () => {
      const failures = validateWebCredentials(inputs);
      assert.ok(
        failures.some((f) => f.property === property && reason.test(f.reason)),
        JSON.stringify(failures),
      );
    });
  }

  it("accepts strong passwords for both logins", () => {
    assert.deepEqual(
      validateWebCredentials({
        administrator: { password: NEW },
        ngcpsoap: { password: "Soap-Prov-Pass-2024" },
      }),
      [],
    );
  });
});
