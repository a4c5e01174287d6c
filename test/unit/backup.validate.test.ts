import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { parseBackupInputs, type BackupInputs, includesDebianCnf } from "../../providers/backup/inputs";
import { checkBackup, effectiveMaxAgeHours, validateBackup } from "../../providers/backup/validate";
import {
  dayRule,
  defaultMaxAgeHours,
  longestGapHours,
  nextRuns,
  normalizeSchedule,
  scheduleProblem,
  toOnCalendar,
} from "../../providers/backup/schedule";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKSVL0SxxA3SpWh4uMZ7yiKceXTWITc1sj1dGFazJrzi";

/** Parsed inputs with defaults, from a raw stack-config-like object (fails the test if it does not parse). */
function inputs(raw: Record<string, unknown> = {}): BackupInputs {
  const parsed = parseBackupInputs(raw);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.failures));
  return parsed.inputs;
}

/** The properties named by the failures of `raw`. */
function failedProperties(raw: Record<string, unknown>): string[] {
  return checkBackup(raw).failures.map((f) => f.property);
}

describe("backup inputs: defaults (handbook 15.5.1)", () => {
  it("GIVEN no inputs WHEN parsed THEN the handbook's paths, a daily cron schedule, gzip and 7 backups apply", () => {
    const parsed = inputs();
    assert.equal(parsed.schedule, "30 3 * * *");
    assert.equal(parsed.scheduler, "cron");
    assert.equal(parsed.destination, "/var/backups/ngcp-fleet");
    assert.equal(parsed.compression, "gzip");
    assert.deepEqual(parsed.retention, { count: 7 });
    assert.equal(parsed.paths.ngcpConfigDir, "/etc/ngcp-config");
    assert.equal(parsed.paths.sipwiseCnf, "/etc/mysql/sipwise.cnf");
    assert.equal(parsed.paths.cdrExportDir, "/home/jail/home/cdrexport");
    assert.equal(parsed.paths.cronFile, "/etc/cron.d/ngcp-fleet-backup");
    assert.equal(parsed.mysqlOptionsFile, "/etc/mysql/ngcp-fleet-backup.cnf");
    assert.equal(parsed.includeCdrExport, false);
    assert.deepEqual(validateBackup(parsed), []);
  });

  it("GIVEN one path override WHEN parsed THEN the other paths keep their defaults", () => {
    const parsed = inputs({ paths: { statusFile: "/srv/status.json" } });
    assert.equal(parsed.paths.statusFile, "/srv/status.json");
    assert.equal(parsed.paths.script, "/usr/local/sbin/ngcp-fleet-backup");
  });

  it("saves /etc/mysql/debian.cnf for the older edition (seed 000) only, unless told otherwise", () => {
    assert.equal(includesDebianCnf(inputs({ edition: "older" })), true);
    assert.equal(includesDebianCnf(inputs({ edition: "current" })), false);
    assert.equal(includesDebianCnf(inputs({ edition: "current", includeDebianCnf: true })), true);
    assert.equal(includesDebianCnf(inputs({ edition: "older", includeDebianCnf: false })), false);
  });

  it("GIVEN a misspelt key or a wrong type WHEN parsed THEN the failure names the key", () => {
    assert.deepEqual(failedProperties({ retension: { count: 3 } }), ["(inputs)"]);
    assert.deepEqual(failedProperties({ compression: "bzip2" }), ["compression"]);
    assert.deepEqual(failedProperties({ scheduler: "anacron" }), ["scheduler"]);
    assert.deepEqual(failedProperties({ retention: { count: "seven" } }), ["retention.count"]);
  });
});

describe("backup inputs: every bad input of issue 7 fails naming its key", () => {
  const offNode = { host: "backup.example.net", path: "/srv/ngcp-backups", hostKey: HOST_KEY };
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    // Invalid schedule expressions.
    ["an empty schedule", { schedule: "" }, "schedule", /got an empty string/],
    ["four fields", { schedule: "* * * *" }, "schedule", /exactly 5 fields.*got 4/],
    ["a seconds field (croner, not cron)", { schedule: "0 30 3 * * *" }, "schedule", /seconds field/],
    ["minute 61", { schedule: "61 3 * * *" }, "schedule", /Invalid value for minute: 61/],
    ["hour 24", { schedule: "0 24 * * *" }, "schedule", /not a valid cron expression/],
    ["croner's L", { schedule: "0 3 L * *" }, "schedule", /croner extension/],
    ["croner's #", { schedule: "0 3 * * 5#2" }, "schedule", /croner extension/],
    ["croner's ?", { schedule: "0 3 ? * *" }, "schedule", /croner extension/],
    ["a step without a range", { schedule: "5/10 * * * *" }, "schedule", /step needs a range/],
    ["an unknown nickname", { schedule: "@fortnightly" }, "schedule", /unknown nickname/],
    ["@reboot", { schedule: "@reboot" }, "schedule", /not a periodic schedule/],
    ["February 30th", { schedule: "0 0 30 2 *" }, "schedule", /never fires/],
    ["garbage", { schedule: "every night" }, "schedule", /exactly 5 fields/],
    [
      "day-of-month and day-of-week both restricted, as a systemd timer",
      { schedule: "0 3 1 * 1", scheduler: "systemd" },
      "schedule",
      /cannot be a systemd timer/,
    ],
    // Retention below 1.
    ["retention count 0", { retention: { count: 0 } }, "retention.count", /at least 1/],
    ["retention count -3", { retention: { count: -3 } }, "retention.count", /at least 1/],
    ["retention count 1.5", { retention: { count: 1.5 } }, "retention.count", /whole number/],
    ["retention days 0", { retention: { days: 0 } }, "retention.days", /at least 1/],
    ["retention with no rule", { retention: {} }, "retention", /count and\/or days/],
    // Relative or system paths as destination.
    ["a relative destination", { destination: "backups" }, "destination", /relative path/],
    ["a dot-relative destination", { destination: "./backups" }, "destination", /relative path/],
    ["/ as destination", { destination: "/" }, "destination", /system directory/],
    ["/etc as destination", { destination: "/etc" }, "destination", /system directory/],
    ["/usr as destination", { destination: "/usr" }, "destination", /system directory/],
    ["/var as destination", { destination: "/var" }, "destination", /system directory/],
    ["/var/backups itself as destination", { destination: "/var/backups" }, "destination", /its own/],
    ["the MariaDB datadir", { destination: "/var/lib/mysql" }, "destination", /inside \/var\/lib\/mysql/],
    [
      "inside the MariaDB datadir",
      { destination: "/var/lib/mysql/bk" },
      "destination",
      /live MariaDB datadir/,
    ],
    ["inside /proc", { destination: "/proc/backups" }, "destination", /inside \/proc/],
    ["inside /etc", { destination: "/etc/backups" }, "destination", /inside \/etc/],
    ["inside /tmp", { destination: "/tmp/backups" }, "destination", /does not survive a reboot/],
    ["a non-normalized destination", { destination: "/var/backups/../lib" }, "destination", /normalized/],
    ["a trailing slash", { destination: "/var/backups/ngcp/" }, "destination", /normalized/],
    [
      "a newline in the destination",
      { destination: "/var/backups/a\nb" },
      "destination",
      /control characters/,
    ],
    [
      "the destination inside a custom path",
      { destination: "/srv/data/backups", customPaths: ["/srv/data"] },
      "destination",
      /would save itself/,
    ],
    [
      "the destination inside the CDR export",
      { destination: "/home/jail/home/cdrexport/bk", includeCdrExport: true },
      "destination",
      /would save itself/,
    ],
    // Relative or system paths as custom paths.
    ["a relative custom path", { customPaths: ["etc/foo"] }, "customPaths[0]", /relative path/],
    ["/ as custom path", { customPaths: ["/"] }, "customPaths[0]", /whole system tree/],
    ["/usr as custom path", { customPaths: ["/usr"] }, "customPaths[0]", /whole system tree/],
    ["/var/lib as custom path", { customPaths: ["/var/lib"] }, "customPaths[0]", /whole system tree/],
    ["/proc as custom path", { customPaths: ["/opt/x", "/proc/1"] }, "customPaths[1]", /pseudo-filesystem/],
    [
      "the live datadir as custom path",
      { customPaths: ["/var/lib/mysql"] },
      "customPaths[0]",
      /consistent dump/,
    ],
    [
      "a duplicated custom path",
      { customPaths: ["/opt/a", "/opt/a"] },
      "customPaths[1]",
      /duplicates customPaths\[0\]/,
    ],
    [
      "a custom path inside the destination",
      { customPaths: ["/var/backups/ngcp-fleet/x"] },
      "customPaths[0]",
      /inside the destination/,
    ],
    // Off-node target.
    [
      "an off-node target without a host key",
      { offNode: { ...offNode, hostKey: undefined } },
      "offNode.hostKey",
      /is required/,
    ],
    [
      "an off-node target with an empty host key",
      { offNode: { ...offNode, hostKey: " " } },
      "offNode.hostKey",
      /is required/,
    ],
    [
      "an off-node target with a garbage host key",
      { offNode: { ...offNode, hostKey: "nope" } },
      "offNode.hostKey",
      /not an OpenSSH public key/,
    ],
    [
      "an off-node host that is an ssh option",
      { offNode: { ...offNode, host: "-oProxyCommand=x" } },
      "offNode.host",
      /host name/,
    ],
    ["an off-node port 0", { offNode: { ...offNode, port: 0 } }, "offNode.port", /1\.\.65535/],
    ["an off-node port 70000", { offNode: { ...offNode, port: 70000 } }, "offNode.port", /1\.\.65535/],
    ["an off-node user with a space", { offNode: { ...offNode, user: "a b" } }, "offNode.user", /user name/],
    [
      "a relative off-node path",
      { offNode: { ...offNode, path: "backups" } },
      "offNode.path",
      /relative path/,
    ],
    ["/ as off-node path", { offNode: { ...offNode, path: "/" } }, "offNode.path", /system directory/],
    [
      "a relative off-node key",
      { offNode: { ...offNode, privateKeyPath: "id_ed25519" } },
      "offNode.privateKeyPath",
      /relative path/,
    ],
    [
      "an off-node target without a host",
      { offNode: { path: "/srv/x", hostKey: HOST_KEY } },
      "offNode.host",
      /is required/,
    ],
    // The rest.
    ["maxAgeHours 0", { maxAgeHours: 0 }, "maxAgeHours", /positive/],
    [
      "maxAgeHours shorter than the schedule",
      { maxAgeHours: 12 },
      "maxAgeHours",
      /shorter than the schedule's longest gap between runs \(24 h\)/,
    ],
    ["a relative MySQL option file", { mysqlOptionsFile: "backup.cnf" }, "mysqlOptionsFile", /relative path/],
    [
      "a cron file name with a dot",
      { paths: { cronFile: "/etc/cron.d/ngcp.backup" } },
      "paths.cronFile",
      /ignored by Debian's cron/,
    ],
    [
      "a script path with a space",
      { paths: { script: "/usr/local/sbin/my backup" } },
      "paths.script",
      /only letters/,
    ],
    ["a relative status file", { paths: { statusFile: "status.json" } }, "paths.statusFile", /relative path/],
  ];
  for (const [name, raw, property, reason] of cases) {
    it(`GIVEN ${name} WHEN checked THEN ${property} fails`, () => {
      const { failures, inputs: parsed } = checkBackup(raw);
      assert.equal(parsed, undefined, "no inputs are returned while anything fails");
      const failure = failures.find((f) => f.property === property);
      assert.ok(failure, `expected a failure on ${property}, got: ${JSON.stringify(failures)}`);
      assert.match(failure.reason, reason);
    });
  }

  it("GIVEN a complete valid off-node copy and custom paths WHEN checked THEN nothing fails", () => {
    const result = checkBackup({
      schedule: "@daily",
      scheduler: "systemd",
      edition: "older",
      customPaths: ["/etc", "/usr/share/ngcp-templates-custom", "/opt/it's mine"],
      includeCdrExport: true,
      retention: { count: 3, days: 14 },
      maxAgeHours: 30,
      offNode: { ...offNode, port: 2222, user: "ngcp-backup" },
    });
    assert.deepEqual(result.failures, []);
    assert.ok(result.inputs);
  });

  it("any normalized directory of its own under /var/backups or /srv is a valid destination", () => {
    const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/).filter((s) => s !== "." && s !== "..");
    fc.assert(
      fc.property(
        fc.constantFrom("/var/backups", "/srv", "/backup"),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        (root, parts) => {
          const destination = `${root}/${parts.join("/")}`;
          assert.deepEqual(validateBackup(inputs({ destination })), []);
        },
      ),
    );
  });

  it("no relative path is ever a valid destination or custom path", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.startsWith("/")),
        (path) => {
          assert.ok(failedProperties({ destination: path }).includes("destination"));
          assert.ok(failedProperties({ customPaths: [path] }).includes("customPaths[0]"));
        },
      ),
    );
  });
});

describe("backup schedule (croner, Debian's cron, systemd timers)", () => {
  it("expands nicknames to the 5 fields every cron reads the same", () => {
    assert.equal(normalizeSchedule("@daily"), "0 0 * * *");
    assert.equal(normalizeSchedule("@weekly"), "0 0 * * 0");
    assert.equal(normalizeSchedule("  30   3 * *  * "), "30 3 * * *");
  });

  it("combines the day fields like Debian's cron: OR when both are restricted, AND once one starts with *", () => {
    assert.equal(dayRule("0 0 1 * 1"), "or");
    assert.equal(dayRule("0 0 1,15 * mon-fri"), "or");
    assert.equal(dayRule("0 0 */3 * 0"), "and");
    assert.equal(dayRule("0 0 * * 0"), "and");
    // Sundays on the 1st, 4th, …, 31st only: the longest silence is far more than a week.
    assert.ok(longestGapHours("0 0 */3 * 0") > 168);
    assert.equal(longestGapHours("0 0 1 * 1"), 168);
  });

  it("accepts month and weekday names that contain L or W (JUL, WED)", () => {
    assert.equal(scheduleProblem("0 3 * JUL WED"), undefined);
    assert.equal(scheduleProblem("0 3 * * mon-fri"), undefined);
  });

  const gaps: [string, number, number][] = [
    ["30 3 * * *", 24, 26],
    ["* * * * *", 1 / 60, 3],
    ["0 */6 * * *", 6, 8],
    ["5 4 * * 0", 168, 170],
    ["*/15 2-4 * * mon-fri", 69.25, 72],
    ["0 0 31 * *", 1464, 1466],
    ["0 3 1,15 * *", 408, 410],
    ["0 0 1 * 1", 168, 170],
    ["0 0 29 2 *", 4 * 8766, 4 * 8766 + 2],
  ];
  for (const [expression, gap, maxAge] of gaps) {
    it(`"${expression}": longest gap ${gap} h, default maxAgeHours ${maxAge}`, () => {
      assert.ok(Math.abs(longestGapHours(expression) - gap) < 1e-9, String(longestGapHours(expression)));
      assert.equal(defaultMaxAgeHours(expression), maxAge);
      assert.equal(effectiveMaxAgeHours({ schedule: expression }), maxAge);
    });
  }

  it("the day-by-day gap equals the longest gap between croner's consecutive runs (brute force)", () => {
    const field = (max: number, min: number, steps: readonly number[]) =>
      fc.oneof(
        fc.integer({ min, max }).map(String),
        fc
          .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
          .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        ...steps.map((step) => fc.constant(`*/${step}`)),
        fc.constant("*"),
      );
    // Forty days from 2025-01-01 (into February) on both sides; at most 6 runs a day keeps croner's
    // walk short.
    const windowDays = 40;
    const windowEnd = Date.UTC(2025, 0, 1) + windowDays * 86_400_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 59 }),
        field(23, 0, [4, 6]).filter((h) => h !== "*"),
        // Days 1..28 without steps: croner 9.1.0 skips March 1st after February 26th when a day list
        // holds 29..31 (see the next test), so it cannot be the reference there.
        field(28, 1, []),
        field(6, 0, [2, 3]),
        (minute, hour, dom, dow) => {
          const expression = `${minute} ${hour} ${dom} * ${dow}`;
          const all = nextRuns(expression, new Date(Date.UTC(2024, 11, 31, 23, 59)), 6 * windowDays + 1);
          const runs = all.filter((r) => r.getTime() < windowEnd);
          fc.pre(runs.length >= 2 && all[all.length - 1].getTime() >= windowEnd);
          let brute = 0;
          for (let i = 1; i < runs.length; i++) {
            brute = Math.max(brute, runs[i].getTime() - runs[i - 1].getTime());
          }
          assert.equal(longestGapHours(expression, windowDays), brute / 3_600_000, expression);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("counts every day of a stepped day-of-month across short months (where croner 9.1.0 skips one)", () => {
    // Days 1, 6, …, 26, 31: Jan 26 → Jan 31 is the longest silence (Feb 26 → Mar 1 is 3 days).
    assert.equal(longestGapHours("0 0 */5 * *"), 120);
    assert.equal(longestGapHours("0 0 1,6,11,16,21,26,31 * *"), 120);
  });

  const calendars: [string, string][] = [
    ["30 3 * * *", "*-*-* 03:30:00"],
    ["@hourly", "*-*-* *:00:00"],
    ["*/15 2-4 * * mon-fri", "Mon..Fri *-*-* 02..04:00/15:00"],
    ["0 3 * * 0", "Sun *-*-* 03:00:00"],
    ["0 3 * * 7", "Sun *-*-* 03:00:00"],
    ["0 3 1,15 * *", "*-*-01,15 03:00:00"],
    ["0 */6 * * *", "*-*-* 00/6:00:00"],
    ["0 22 * 1-3 sat,sun", "Sat,Sun *-01..03-* 22:00:00"],
    ["5,35 1 * * *", "*-*-* 01:05,35:00"],
    // Debian's cron ANDs the day fields when one starts with "*", as systemd does.
    ["0 0 */3 * 0", "Sun *-*-01/3 00:00:00"],
  ];
  for (const [expression, expected] of calendars) {
    it(`translates "${expression}" to OnCalendar=${expected}`, () => {
      const calendar = toOnCalendar(expression);
      assert.ok(calendar.ok);
      assert.equal(calendar.value, expected);
    });
  }

  it("systemd-analyze computes the same next runs from OnCalendar as croner from the cron expression", function () {
    try {
      execFileSync("systemd-analyze", ["--version"], { stdio: "ignore" });
    } catch {
      this.skip();
    }
    const base = new Date(Date.UTC(2025, 0, 1));
    for (const [expression] of calendars) {
      const calendar = toOnCalendar(expression);
      assert.ok(calendar.ok);
      const out = execFileSync(
        "systemd-analyze",
        ["calendar", "--iterations=6", "--base-time=2025-01-01 00:00:00 UTC", calendar.value],
        { env: { ...process.env, TZ: "UTC" } },
      ).toString();
      const systemd = [
        ...out.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/g),
      ].map((m) => `${m[1].replace(" ", "T")}Z`);
      const croner = nextRuns(expression, base, 6).map((d) => d.toISOString().replace(".000", ""));
      assert.deepEqual(systemd, croner, expression);
    }
  });
});
