import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  authenticate,
  handleAdminApi,
  parseBasicAuth,
  parsePasswordPatch,
  routeWebRequest,
  type LabWebRequest,
} from "../../lab/core/adminApi";
import { SERVICE_NAMES } from "../../lab/core/services";
import {
  hashWebPassword,
  parseWebAdmins,
  renderWebAdmins,
  seedWebAdmins,
  setWebAdminPassword,
  verifyWebPassword,
  type WebAdmin,
} from "../../lab/core/webAdmins";
import { seedWebAdminsIfAbsent } from "../../lab/webAdminsSeed";
import {
  basicAuthorization,
  findAdminRequest,
  parseAdminId,
  patchPasswordRequest,
  type WebRequest,
} from "../../providers/webCredentials/api";

const SALT = Buffer.alloc(16, 7);
const SALT2 = Buffer.alloc(16, 9);
const SOAP = "Soap-seed-4fGh7Jk2Lm9N";
const NEW = "Web-Admin-New-2024!x";
const seeded: readonly WebAdmin[] = seedWebAdmins(SOAP, { administrator: SALT, ngcpsoap: SALT2 });

/** A request exactly as the provider sends it (providers/webCredentials/api.ts), with basic auth. */
function asProvider(req: WebRequest, login: string, password: string): LabWebRequest {
  const headers: Record<string, string> = { authorization: basicAuthorization(login, password) };
  for (const [k, v] of Object.entries(req.headers)) {
    headers[k.toLowerCase()] = v;
  }
  return { method: req.method, url: req.path, headers, body: req.body ?? "" };
}

function request(
  method: string,
  url: string,
  auth: [string, string] | undefined,
  extra: Record<string, string> = {},
  body = "",
): LabWebRequest {
  return {
    method,
    url,
    headers: { ...(auth ? { authorization: basicAuthorization(auth[0], auth[1]) } : {}), ...extra },
    body,
  };
}

const ADMIN: [string, string] = ["administrator", "administrator"];
const PATCH_HEADERS = { "content-type": "application/json-patch+json" };
const patchBody = (value: unknown): string => JSON.stringify([{ op: "replace", path: "/password", value }]);

describe("lab: the web admins file (lab/core/webAdmins.ts)", function () {
  // scrypt (tens of milliseconds a hash) on a loaded machine.
  this.timeout(30_000);

  it("GIVEN a salted scrypt hash THEN only the right password verifies, and the hash does not hold it", () => {
    const hash = hashWebPassword(NEW, SALT);
    assert.match(hash, /^\$scrypt\$ln=14,r=8,p=1\$/);
    assert.ok(!hash.includes(NEW));
    assert.equal(verifyWebPassword(NEW, hash), true);
    assert.equal(verifyWebPassword(`${NEW} `, hash), false);
    assert.notEqual(hashWebPassword(NEW, SALT2), hash, "a different salt, a different hash");
  });

  it("GIVEN a malformed or oversized hash THEN nothing verifies", () => {
    for (const bad of [
      "administrator",
      "",
      "$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
      "$2y$10$x",
    ]) {
      assert.equal(verifyWebPassword("administrator", bad), false, bad);
    }
  });

  it("refuses a salt shorter than 16 bytes", () => {
    assert.throws(() => hashWebPassword(NEW, Buffer.alloc(8)), /at least 16 bytes, got: 8/);
  });

  it("GIVEN the seed THEN administrator has the factory password and ngcpsoap the installation's", () => {
    assert.deepEqual(
      seeded.map((a) => [a.id, a.login]),
      [
        [1, "administrator"],
        [2, "ngcpsoap"],
      ],
    );
    assert.ok(verifyWebPassword("administrator", seeded[0].passwordHash));
    assert.ok(verifyWebPassword(SOAP, seeded[1].passwordHash));
  });

  it("renders and parses the file without a clear password in it", () => {
    const text = renderWebAdmins(seeded);
    assert.ok(!text.includes(SOAP) && !/"administrator"[^\n]*"administrator"/.test(text.replace(/\n/g, "")));
    assert.deepEqual(parseWebAdmins(text), seeded);
  });

  const badFiles: [string, string, RegExp][] = [
    ["not JSON", "{", /is not JSON/],
    ["no admins list", "{}", /must hold \{"admins": \[\.\.\.\]\}/],
    [
      "a zero id",
      JSON.stringify({ admins: [{ id: 0, login: "a", passwordHash: seeded[0].passwordHash }] }),
      /admins\[0\]\.id must be a positive integer, got: 0/,
    ],
    [
      "a login with a colon",
      JSON.stringify({ admins: [{ id: 1, login: "a:b", passwordHash: seeded[0].passwordHash }] }),
      /admins\[0\]\.login must be a non-empty string without ':'/,
    ],
    [
      "a clear password",
      JSON.stringify({ admins: [{ id: 1, login: "a", passwordHash: "administrator" }] }),
      /admins\[0\]\.passwordHash must be a \$scrypt\$ hash/,
    ],
    [
      "a repeated login",
      JSON.stringify({ admins: [seeded[0], { ...seeded[1], login: "administrator" }] }),
      /admins\[1\] repeats/,
    ],
  ];
  for (const [what, text, expected] of badFiles) {
    it(`refuses a file with ${what}, naming the entry`, () => {
      assert.throws(() => parseWebAdmins(text), expected);
    });
  }

  it("GIVEN a node without accounts THEN the seed writes them and ngcpsoap's record 0600, once", () => {
    const root = mkdtempSync(join(tmpdir(), "ngcp-fleet-admins-"));
    try {
      const at = (nodePath: string): string => join(root, nodePath);
      assert.equal(seedWebAdminsIfAbsent(at), true);
      const soap = readFileSync(at("/var/lib/ngcp-lab/ngcpsoap.password"), "utf8").trim();
      assert.match(soap, /^[A-Za-z0-9]{24}$/);
      const text = readFileSync(at("/var/lib/ngcp-lab/admins.json"), "utf8");
      const admins = parseWebAdmins(text);
      assert.ok(verifyWebPassword("administrator", admins[0].passwordHash));
      assert.ok(verifyWebPassword(soap, admins[1].passwordHash));
      assert.ok(!text.includes(soap));
      for (const f of ["admins.json", "ngcpsoap.password"]) {
        assert.equal(statSync(at(`/var/lib/ngcp-lab/${f}`)).mode & 0o777, 0o600, f);
      }
      assert.equal(seedWebAdminsIfAbsent(at), false, "a node's accounts are never re-seeded");
      assert.equal(readFileSync(at("/var/lib/ngcp-lab/admins.json"), "utf8"), text);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("changes one account's password and refuses an unknown login", () => {
    const changed = setWebAdminPassword(seeded, "administrator", NEW, SALT2);
    assert.ok(verifyWebPassword(NEW, changed[0].passwordHash));
    assert.equal(changed[1], seeded[1], "the other account untouched");
    assert.throws(() => setWebAdminPassword(seeded, "root", NEW, SALT2), /no web admin named root/);
  });
});

describe("lab: routing of the web listeners (lab/core/adminApi.ts)", function () {
  // scrypt (tens of milliseconds a hash) on a loaded machine.
  this.timeout(30_000);

  it("serves the page on GET / everywhere, the REST API only on the admin and provisioning interfaces", () => {
    const routes = Object.fromEntries(
      SERVICE_NAMES.map((s) => [
        s,
        [routeWebRequest(s, "GET", "/"), routeWebRequest(s, "GET", "/api/admins/")],
      ]),
    );
    assert.deepEqual(routes.admin, ["page", "api"]);
    assert.deepEqual(routes.provisioning, ["page", "api"]);
    assert.deepEqual(routes.csc, ["page", "notFound"]);
    assert.deepEqual(routes.xcap, ["page", "notFound"]);
    assert.equal(routeWebRequest("admin", "POST", "/"), "api", "only GET / is the page");
  });

  it("reads basic auth, refusing a malformed header", () => {
    assert.deepEqual(parseBasicAuth(basicAuthorization("ngcpsoap", "a:b")), {
      login: "ngcpsoap",
      password: "a:b",
    });
    for (const bad of [
      undefined,
      "",
      "Bearer x",
      "Basic !!",
      `Basic ${Buffer.from("nocolon").toString("base64")}`,
    ]) {
      assert.equal(parseBasicAuth(bad), undefined, String(bad));
    }
  });

  it("authenticates only a known login with its password", () => {
    assert.equal(authenticate(seeded, basicAuthorization("administrator", "administrator"))?.id, 1);
    assert.equal(authenticate(seeded, basicAuthorization("ngcpsoap", SOAP))?.id, 2);
    assert.equal(authenticate(seeded, basicAuthorization("ngcpsoap", "administrator")), undefined);
    assert.equal(authenticate(seeded, basicAuthorization("root", "administrator")), undefined);
    assert.equal(authenticate(seeded, undefined), undefined);
  });
});

describe("lab: the two REST calls of the admin interface (lab/core/adminApi.ts)", function () {
  // scrypt (tens of milliseconds a hash) on a loaded machine.
  this.timeout(30_000);

  it("GIVEN no or wrong credentials THEN 401 with a Basic challenge, whatever the path", () => {
    for (const req of [
      request("GET", "/api/admins/?login=administrator", undefined),
      request("GET", "/api/admins/?login=administrator", ["administrator", "wrong"]),
      request("PATCH", "/api/admins/1", ["ngcpsoap", "administrator"], PATCH_HEADERS, patchBody(NEW)),
      request("GET", "/api/anything", undefined),
    ]) {
      const { response, admins } = handleAdminApi(req, seeded, SALT2);
      assert.equal(response.status, 401, `${req.method} ${req.url}`);
      assert.equal(response.headers["WWW-Authenticate"], 'Basic realm="api_admin_http"');
      assert.equal(admins, undefined);
    }
  });

  it("GIVEN the provider's GET THEN a HAL collection the provider reads the id from (one item as an object)", () => {
    const { response } = handleAdminApi(
      asProvider(findAdminRequest("administrator"), ...ADMIN),
      seeded,
      SALT2,
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers["Content-Type"], "application/hal+json");
    const doc = JSON.parse(response.body ?? "") as {
      _embedded: Record<string, unknown>;
      total_count: number;
    };
    assert.equal(doc.total_count, 1);
    assert.ok(!Array.isArray(doc._embedded["ngcp:admins"]));
    assert.equal(parseAdminId(response.body ?? "", "administrator"), 1);
  });

  it("filters by login substring (the panel's LIKE): several items as a list, none as an empty list", () => {
    const body = (url: string): { _embedded: { "ngcp:admins": unknown }; total_count: number } =>
      JSON.parse(handleAdminApi(request("GET", url, ADMIN), seeded, SALT2).response.body ?? "") as {
        _embedded: { "ngcp:admins": unknown };
        total_count: number;
      };
    const both = body("/api/admins/?login=a");
    assert.equal(both.total_count, 2);
    assert.deepEqual(
      (both._embedded["ngcp:admins"] as { login: string }[]).map((a) => a.login),
      ["administrator", "ngcpsoap"],
    );
    assert.equal(body("/api/admins/").total_count, 2, "no filter: every admin");
    assert.deepEqual(body("/api/admins/?login=zzz"), {
      ...body("/api/admins/?login=zzz"),
      _embedded: { "ngcp:admins": [] },
      total_count: 0,
    });
    assert.equal(parseAdminId(JSON.stringify(both), "ngcpsoap"), 2);
  });

  it("GIVEN the provider's PATCH of its own id THEN 204, the new password works and the old one no longer", () => {
    const { response, admins } = handleAdminApi(
      asProvider(patchPasswordRequest(1, NEW), ...ADMIN),
      seeded,
      SALT2,
    );
    assert.equal(response.status, 204);
    assert.equal(response.body, undefined);
    assert.ok(admins);
    assert.equal(authenticate(admins, basicAuthorization("administrator", NEW))?.id, 1);
    assert.equal(authenticate(admins, basicAuthorization(...ADMIN)), undefined);
    assert.equal(admins[1], seeded[1], "ngcpsoap untouched");
  });

  it("answers 200 with the admin (never the password) without Prefer: return=minimal", () => {
    const { response, admins } = handleAdminApi(
      request(
        "PATCH",
        "/api/admins/2",
        ["ngcpsoap", SOAP],
        { "content-type": "application/json-patch+json; charset=utf-8" },
        patchBody(NEW),
      ),
      seeded,
      SALT2,
    );
    assert.equal(response.status, 200);
    assert.equal(
      parseAdminId(
        JSON.stringify({ _embedded: { "ngcp:admins": JSON.parse(response.body ?? "") } }),
        "ngcpsoap",
      ),
      2,
    );
    assert.ok(!(response.body ?? "").includes(NEW));
    assert.ok(admins && verifyWebPassword(NEW, admins[1].passwordHash));
  });

  const refused: [string, LabWebRequest, number, RegExp][] = [
    [
      "another admin's id",
      request("PATCH", "/api/admins/2", ADMIN, PATCH_HEADERS, patchBody(NEW)),
      403,
      /Only own user can change password/,
    ],
    [
      "an unknown id",
      request("PATCH", "/api/admins/99", ADMIN, PATCH_HEADERS, patchBody(NEW)),
      403,
      /Only own user/,
    ],
    [
      "a plain JSON content type",
      request("PATCH", "/api/admins/1", ADMIN, { "content-type": "application/json" }, patchBody(NEW)),
      415,
      /json-patch\+json/,
    ],
    [
      "no content type",
      request("PATCH", "/api/admins/1", ADMIN, {}, patchBody(NEW)),
      415,
      /Unsupported media type/,
    ],
    [
      "a body that is not JSON",
      request("PATCH", "/api/admins/1", ADMIN, PATCH_HEADERS, "[{"),
      400,
      /Malformed JSON/,
    ],
    [
      "an empty password",
      request("PATCH", "/api/admins/1", ADMIN, PATCH_HEADERS, patchBody("")),
      422,
      /non-empty string/,
    ],
    [
      "a non-string password",
      request("PATCH", "/api/admins/1", ADMIN, PATCH_HEADERS, patchBody(42)),
      422,
      /replace of \/password/,
    ],
    [
      "another path",
      request(
        "PATCH",
        "/api/admins/1",
        ADMIN,
        PATCH_HEADERS,
        JSON.stringify([{ op: "replace", path: "/login", value: "x" }]),
      ),
      422,
      /replace of \/password/,
    ],
    [
      "two operations",
      request(
        "PATCH",
        "/api/admins/1",
        ADMIN,
        PATCH_HEADERS,
        JSON.stringify([
          { op: "replace", path: "/password", value: NEW },
          { op: "remove", path: "/email" },
        ]),
      ),
      422,
      /replace of \/password/,
    ],
    ["GET of one admin", request("GET", "/api/admins/1", ADMIN), 404, /Not found/],
    ["DELETE", request("DELETE", "/api/admins/1", ADMIN), 404, /Not found/],
    [
      "POST to the collection",
      request("POST", "/api/admins/", ADMIN, { "content-type": "application/json" }, "{}"),
      404,
      /Not found/,
    ],
    ["another collection", request("GET", "/api/subscribers/", ADMIN), 404, /Not found/],
    [
      "the collection without its slash",
      request("GET", "/api/admins?login=administrator", ADMIN),
      404,
      /Not found/,
    ],
  ];
  for (const [what, req, status, message] of refused) {
    it(`refuses ${what} with ${status} and changes nothing`, () => {
      const { response, admins } = handleAdminApi(req, seeded, SALT2);
      assert.equal(response.status, status);
      assert.match(response.body ?? "", message);
      assert.equal(admins, undefined);
      assert.ok(!(response.body ?? "").includes(NEW), "no password echoed");
    });
  }

  it("parses a password patch: exactly one replace of /password", () => {
    assert.deepEqual(parsePasswordPatch(patchBody(NEW)), { password: NEW });
    assert.equal((parsePasswordPatch("{}") as { status: number }).status, 422);
    assert.equal((parsePasswordPatch("") as { status: number }).status, 400);
  });

  it("never puts a password into a response, whatever was sent (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 30 }).map((s) => `~${s}~`),
        fc.constantFrom(["administrator", "administrator"], ["administrator", "wrong"], ["ngcpsoap", SOAP]),
        fc.constantFrom("/api/admins/1", "/api/admins/2", "/api/admins/?login=a"),
        (password, auth, url) => {
          const { response } = handleAdminApi(
            request(
              url.includes("?") ? "GET" : "PATCH",
              url,
              auth as [string, string],
              PATCH_HEADERS,
              patchBody(password),
            ),
            seeded,
            SALT2,
          );
          return !(response.body ?? "").includes(password);
        },
      ),
      { numRuns: 15 },
    );
  });
});
