import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { getKey, parseConfig } from "../../providers/ngcpConfig/document";
import {
  type NodeFacts,
  type PerformanceInputs,
  PERFORMANCE_OPTIONS,
  PerformanceValidationError,
  natpingProcessesFor,
  parseSizeMb,
  planPerformance,
  settingsFromConfigValues,
  shmMemForRam,
  validateConfigValues,
  validatePerformance,
} from "../../providers/performance/planner";
import { fixturePath } from "../support/fixtures";

const NODE: NodeFacts = { ramMb: 16384, rootMountOptions: ["rw", "noatime"] };

describe("performance planner: the handbook's formulas", () => {
  it("gives 7 natping processes for the worked example: 50,000 NATed, interval 30, 250 pings/s", () => {
    // GIVEN the handbook's numbers WHEN computed THEN 50000 / 30 / 250 = 6.67 rounds up to 7
    assert.equal(natpingProcessesFor(50000, 30, 250), 7);
  });

  it("plans the worked example through sizing and shows the formula", () => {
    // GIVEN sizing with 50,000 NATed subscribers and the default interval
    const plan = planPerformance({ sizing: { natedSubscribers: 50000 } }, NODE);
    // THEN natping_processes is 7, shm_mem is RAM/16, and the preview explains both
    assert.deepEqual(plan.values, {
      "kamailio.lb.shm_mem": 1024,
      "kamailio.proxy.natping_processes": 7,
      "kamailio.proxy.shm_mem": 1024,
    });
    assert.ok(
      plan.notes.includes(
        "kamailio.proxy.natping_processes = ceil(50000 NATed / 30 s interval / 250 pings/s per process) = ceil(6.67) = 7 (sizing)",
      ),
    );
    assert.ok(plan.notes.includes("kamailio.lb.shm_mem = floor(16384 MB RAM / 16) = 1024 (sizing)"));
  });

  // [nated, interval, pings/s, processes]
  const natping: [number, number, number, number][] = [
    [0, 30, 250, 1], // at least one process
    [1, 30, 250, 1],
    [7500, 30, 250, 1], // exactly 1.00
    [7501, 30, 250, 2],
    [52500, 30, 250, 7], // exactly 7.00: no rounding up past 7
    [52501, 30, 250, 8],
    [50000, 60, 250, 4],
    [50000, 30, 500, 4],
  ];
  for (const [nated, interval, pps, processes] of natping) {
    it(`needs ${processes} natping process(es) for ${nated} NATed at ${interval} s and ${pps} pings/s`, () => {
      assert.equal(natpingProcessesFor(nated, interval, pps), processes);
    });
  }

  it("sets shm_mem to 1/16 of the RAM in whole MB (1024 for 16 GB, the handbook's 50K value)", () => {
    assert.deepEqual([16384, 8192, 2000, 1024, 15].map(shmMemForRam), [1024, 512, 125, 64, 0]);
  });

  const sizes: [string, number | undefined][] = [
    ["64MB", 64],
    ["64M", 64],
    ["1G", 1024],
    ["2GB", 2048],
    ["512K", 0.5],
    ["24mb", 24],
    ["64", undefined],
    ["0MB", undefined],
    ["64 TB", undefined],
    ["lots", undefined],
  ];
  for (const [size, mb] of sizes) {
    it(`reads the buffer pool size "${size}" as ${mb === undefined ? "invalid" : `${mb} MB`}`, () => {
      assert.equal(parseSizeMb(size), mb);
    });
  }
});

describe("performance planner: profiles, sizing and explicit values", () => {
  it("writes nothing when nothing is asked", () => {
    assert.deepEqual(planPerformance({}, NODE), { values: {}, sources: {}, notes: [], warnings: [] });
  });

  it("low: the handbook's test-system values (shm 64, 2 children, TLS off, 24MB buffer pool)", () => {
    const plan = planPerformance({ profile: "low" }, NODE);
    assert.deepEqual(plan.values, {
      "database.bufferpoolsize": "24MB",
      "kamailio.lb.shm_mem": 64,
      "kamailio.lb.tcp_children": 2,
      "kamailio.lb.tls.enable": "no",
      "kamailio.lb.udp_children": 2,
      "kamailio.proxy.children": 2,
      "kamailio.proxy.shm_mem": 64,
    });
    assert.ok(Object.values(plan.sources).every((source) => source === "profile low"));
  });

  it("high: table 10's defaults with shm_mem = RAM/16", () => {
    const plan = planPerformance({ profile: "high" }, { ramMb: 8192 });
    assert.deepEqual(plan.values, {
      "database.bufferpoolsize": "64MB",
      "kamailio.lb.shm_mem": 512,
      "kamailio.lb.tcp_children": 8,
      "kamailio.lb.tls.enable": "yes",
      "kamailio.lb.udp_children": 8,
      "kamailio.proxy.children": 8,
      "kamailio.proxy.shm_mem": 512,
    });
  });

  it("low and high own the same keys, so switching changes values, not ownership", () => {
    assert.deepEqual(
      Object.keys(planPerformance({ profile: "low" }, NODE).values),
      Object.keys(planPerformance({ profile: "high" }, NODE).values),
    );
  });

  it("applies explicit values on top of a profile and says where each value comes from", () => {
    const plan = planPerformance({ profile: "low", lbTcpChildren: 4, rateomatEnable: false }, NODE);
    assert.equal(plan.values["kamailio.lb.tcp_children"], 4);
    assert.equal(plan.sources["kamailio.lb.tcp_children"], "input lbTcpChildren");
    assert.equal(plan.values["rateomat.enable"], "no");
    assert.equal(plan.sources["kamailio.lb.udp_children"], "profile low");
  });

  it("lets sizing override a profile's shm_mem and explicit values override sizing", () => {
    const plan = planPerformance({ profile: "low", sizing: { ramMb: 4096 }, proxyShmMem: 128 }, NODE);
    assert.equal(plan.values["kamailio.lb.shm_mem"], 256);
    assert.equal(plan.sources["kamailio.lb.shm_mem"], "sizing");
    assert.equal(plan.values["kamailio.proxy.shm_mem"], 128);
  });

  it("uses an explicit natping interval in the sizing formula", () => {
    const plan = planPerformance({ sizing: { natedSubscribers: 100000 }, natpingInterval: 60 }, NODE);
    assert.equal(plan.values["kamailio.proxy.natping_processes"], 7);
    assert.equal(plan.values["kamailio.proxy.natping_interval"], 60);
  });

  it("leaves excluded keys to another owner", () => {
    const plan = planPerformance({ profile: "low", excludeKeys: ["kamailio.lb.tls.enable"] }, NODE);
    assert.equal("kamailio.lb.tls.enable" in plan.values, false);
  });

  it("writes every table-10 input in config.yml's spelling", () => {
    const plan = planPerformance(
      {
        binlogDays: 7,
        bufferPoolSize: "128MB",
        lbPkgMem: 16,
        lbShmMem: 512,
        lbTcpChildren: 4,
        lbUdpChildren: 4,
        lbTlsEnable: true,
        proxyChildren: 4,
        proxyDefaultExpires: 3600,
        proxyMinExpires: 60,
        proxyMaxExpires: 43200,
        natpingInterval: 30,
        natpingProcesses: 3,
        proxyShmMem: 512,
        rateomatEnable: true,
        externalLog: true,
        externalLogLevel: "warning",
        externalAddress: "198.18.0.1",
        logsPreserveDays: 31,
      },
      NODE,
    );
    assert.deepEqual(plan.values, {
      "cleanuptools.binlog_days": 7,
      "database.bufferpoolsize": "128MB",
      "kamailio.lb.pkg_mem": 16,
      "kamailio.lb.shm_mem": 512,
      "kamailio.lb.tcp_children": 4,
      "kamailio.lb.tls.enable": "yes",
      "kamailio.lb.udp_children": 4,
      "kamailio.proxy.children": 4,
      "kamailio.proxy.default_expires": 3600,
      "kamailio.proxy.min_expires": 60,
      "kamailio.proxy.max_expires": 43200,
      "kamailio.proxy.natping_interval": 30,
      "kamailio.proxy.natping_processes": 3,
      "kamailio.proxy.shm_mem": 512,
      "rateomat.enable": "yes",
      "rsyslog.external_log": 1,
      "rsyslog.external_loglevel": "warning",
      "rsyslog.external_address": "198.18.0.1",
      "rsyslog.ngcp_logs_preserve_days": 31,
    });
    assert.deepEqual(plan.warnings, []);
  });

  it("defers RAM-based values in check when the node has not been read yet", () => {
    assert.deepEqual(validatePerformance({ profile: "high", sizing: { natedSubscribers: 1000 } }), []);
  });

  it("refuses to plan with a failing input, carrying the failures", () => {
    assert.throws(
      () => planPerformance({ natpingProcesses: 9 }, NODE),
      (error: Error) =>
        error instanceof PerformanceValidationError &&
        error.failures.length === 1 &&
        /natping_processes/.test(error.message),
    );
  });
});

describe("performance planner: every bad input fails check, naming key, value and limit", () => {
  // [behaviour, inputs, facts, property, reason]
  const cases: [string, unknown, NodeFacts | undefined, string, RegExp][] = [
    [
      "natping_processes above 7",
      { natpingProcesses: 8 },
      NODE,
      "natpingProcesses",
      /^kamailio.proxy.natping_processes must be 1..7 \(kamailio does not start above 7\), got: 8$/,
    ],
    [
      "natping_processes below 1",
      { natpingProcesses: 0 },
      NODE,
      "natpingProcesses",
      /must be 1..7 .*got: 0$/,
    ],
    [
      "natping_processes computed above 7, with the formula and a fix",
      { sizing: { natedSubscribers: 60000 } },
      NODE,
      "sizing.natedSubscribers",
      /got: 8 \(computed: ceil\(60000 NATed \/ 30 s interval \/ 250 pings\/s per process\) = ceil\(8.00\) = 8\); raise natpingInterval to at least 35 s \(now 30 s\)/,
    ],
    [
      "natping_interval below 1",
      { natpingInterval: 0 },
      NODE,
      "natpingInterval",
      /natping_interval must be at least 1 second, got: 0/,
    ],
    [
      "pkg_mem below 8",
      { lbPkgMem: 7 },
      NODE,
      "lbPkgMem",
      /kamailio.lb.pkg_mem must be at least 8 MB .*got: 7/,
    ],
    [
      "tcp_children below 1",
      { lbTcpChildren: 0 },
      NODE,
      "lbTcpChildren",
      /kamailio.lb.tcp_children must be at least 1 .*got: 0/,
    ],
    [
      "udp_children below 1",
      { lbUdpChildren: -1 },
      NODE,
      "lbUdpChildren",
      /kamailio.lb.udp_children must be at least 1 .*got: -1/,
    ],
    [
      "proxy children below 1",
      { proxyChildren: 0 },
      NODE,
      "proxyChildren",
      /kamailio.proxy.children must be at least 1 .*got: 0/,
    ],
    [
      "lb shm_mem beyond the RAM",
      { lbShmMem: 20000 },
      NODE,
      "lbShmMem",
      /kamailio.lb.shm_mem must not exceed the node's RAM \(16384 MB\), got: 20000/,
    ],
    [
      "proxy shm_mem beyond the RAM",
      { proxyShmMem: 16385 },
      NODE,
      "proxyShmMem",
      /kamailio.proxy.shm_mem must not exceed the node's RAM \(16384 MB\), got: 16385/,
    ],
    [
      "shm_mem below 1",
      { lbShmMem: 0 },
      NODE,
      "lbShmMem",
      /kamailio.lb.shm_mem must be at least 1 MB, got: 0/,
    ],
    [
      "shm_mem from too little RAM",
      { sizing: { ramMb: 8 }, proxyShmMem: 64 },
      NODE,
      "sizing.ramMb",
      /shm_mem must be at least 1 MB, got: 0 \(computed: floor\(8 MB RAM \/ 16\) = 0\)/,
    ],
    [
      "the buffer pool beyond the RAM",
      { bufferPoolSize: "32GB" },
      NODE,
      "bufferPoolSize",
      /database.bufferpoolsize must not exceed the node's RAM \(16384 MB\), got: 32GB/,
    ],
    [
      "a buffer pool that is not a size",
      { bufferPoolSize: "lots" },
      NODE,
      "bufferPoolSize",
      /database.bufferpoolsize must be a size such as "64MB" .*got: "lots"/,
    ],
    [
      "shm and buffer pool together beyond the RAM",
      { lbShmMem: 8000, proxyShmMem: 8000, bufferPoolSize: "1G" },
      NODE,
      "lbShmMem",
      /shm_mem \+ kamailio.proxy.shm_mem \+ database.bufferpoolsize = 17024 MB must not exceed the node's RAM \(16384 MB\) together/,
    ],
    [
      "default_expires below min_expires",
      { proxyDefaultExpires: 30, proxyMinExpires: 60 },
      NODE,
      "proxyDefaultExpires",
      /min_expires <= default_expires <= max_expires must hold, got: default_expires 30 below min_expires 60/,
    ],
    [
      "default_expires above max_expires",
      { proxyDefaultExpires: 7200, proxyMaxExpires: 3600 },
      NODE,
      "proxyDefaultExpires",
      /got: default_expires 7200 above max_expires 3600/,
    ],
    [
      "min_expires above max_expires",
      { proxyMinExpires: 7200, proxyMaxExpires: 3600 },
      NODE,
      "proxyMinExpires",
      /got: min_expires 7200 above max_expires 3600/,
    ],
    [
      "an expires value below 1",
      { proxyMaxExpires: 0 },
      NODE,
      "proxyMaxExpires",
      /kamailio.proxy.max_expires must be at least 1 second, got: 0/,
    ],
    [
      "binlog retention below 1 day",
      { binlogDays: 0 },
      NODE,
      "binlogDays",
      /cleanuptools.binlog_days must be at least 1 day, got: 0/,
    ],
    [
      "log retention below 1 day",
      { logsPreserveDays: -5 },
      NODE,
      "logsPreserveDays",
      /rsyslog.ngcp_logs_preserve_days must be at least 1 day, got: -5/,
    ],
    [
      "an unknown profile",
      { profile: "medium" },
      NODE,
      "profile",
      /^profile must be one of: high, low, got: "medium"$/,
    ],
    [
      "a profile that is not a string",
      { profile: 2 },
      NODE,
      "profile",
      /profile must be one of: high, low, got: 2/,
    ],
    [
      "a number given as a string",
      { lbPkgMem: "16" },
      NODE,
      "lbPkgMem",
      /kamailio.lb.pkg_mem \(lbPkgMem\) must be a number, got: "16"/,
    ],
    ["a fractional count", { lbTcpChildren: 2.5 }, NODE, "lbTcpChildren", /must be an integer, got: 2.5/],
    [
      "a switch given as yes",
      { lbTlsEnable: "yes" },
      NODE,
      "lbTlsEnable",
      /kamailio.lb.tls.enable \(lbTlsEnable\) must be a boolean, got: "yes"/,
    ],
    [
      "a buffer pool given as a number",
      { bufferPoolSize: 64 },
      NODE,
      "bufferPoolSize",
      /must be a string, got: 64/,
    ],
    [
      "an unknown log level",
      { externalLogLevel: "loud" },
      NODE,
      "externalLogLevel",
      /must be one of: emerg, alert, crit, err, warning, notice, info, debug, got: "loud"/,
    ],
    [
      "a log server address with spaces",
      { externalAddress: "log host" },
      NODE,
      "externalAddress",
      /rsyslog.external_address must be a host name or IP address, got: "log host"/,
    ],
    [
      "an unknown input (a typo)",
      { natpingProcess: 3 },
      NODE,
      "natpingProcess",
      /is not an input of the performance profile; allowed: .*natpingProcesses/,
    ],
    [
      "an unknown sizing input",
      { sizing: { users: 3 } },
      NODE,
      "sizing.users",
      /allowed: subscribers, natedSubscribers, ramMb, pingsPerSecondPerProcess/,
    ],
    [
      "an exclusion of a key the profile does not own",
      { excludeKeys: ["kamailio.lb.port"] },
      NODE,
      "excludeKeys.0",
      /must be one of: cleanuptools.binlog_days, .* got: "kamailio.lb.port"/,
    ],
    [
      "more NATed subscribers than subscribers",
      { sizing: { subscribers: 10, natedSubscribers: 11 } },
      NODE,
      "sizing.natedSubscribers",
      /must not exceed sizing.subscribers \(10\).*got: 11/,
    ],
    [
      "negative subscribers",
      { sizing: { subscribers: -1 } },
      NODE,
      "sizing.subscribers",
      /must be 0 or more, got: -1/,
    ],
    [
      "zero pings per second",
      { sizing: { pingsPerSecondPerProcess: 0 } },
      NODE,
      "sizing.pingsPerSecondPerProcess",
      /must be above 0 .*got: 0/,
    ],
    [
      "zero RAM for sizing",
      { sizing: { ramMb: 0 } },
      NODE,
      "sizing.ramMb",
      /sizing.ramMb must be at least 1 MB, got: 0/,
    ],
    [
      "the high profile on a node whose RAM is unknown",
      { profile: "high" },
      { ramMb: 0 },
      "profile",
      /needs the node's RAM: none was read from the node; give sizing.ramMb/,
    ],
    ["sizing on a node whose RAM is unknown", { sizing: {} }, {}, "sizing", /needs the node's RAM/],
    [
      "enforceNoatime that is not a boolean",
      { enforceNoatime: "true" },
      NODE,
      "enforceNoatime",
      /must be a boolean/,
    ],
    ["no object at all", null, NODE, "inputs", /^inputs must be an object, got: null$/],
  ];
  for (const [behaviour, inputs, facts, property, reason] of cases) {
    it(`fails ${behaviour}`, () => {
      // GIVEN the bad input WHEN checked THEN one failure names the input and explains the limit
      const failures = validatePerformance(inputs, facts);
      assert.equal(failures.length, 1, JSON.stringify(failures));
      assert.equal(failures[0].property, property);
      assert.match(failures[0].reason, reason);
    });
  }
});

describe("performance planner: warnings in the preview", () => {
  // [behaviour, inputs, facts, warning]
  const cases: [string, PerformanceInputs, NodeFacts, RegExp][] = [
    ["pkg_mem below 16", { lbPkgMem: 12 }, NODE, /kamailio.lb.pkg_mem 12 MB is below the default 16/],
    [
      "one TCP worker",
      { lbTcpChildren: 1 },
      NODE,
      /kamailio.lb.tcp_children is 1: the handbook's lowest recommended value is 2/,
    ],
    ["one proxy worker", { proxyChildren: 1 }, NODE, /kamailio.proxy.children is 1/],
    ["shm_mem below the test value 64", { lbShmMem: 32 }, NODE, /kamailio.lb.shm_mem is 32 MB, below the 64/],
    [
      "shm_mem below the subscriber guide",
      { lbShmMem: 512, sizing: { subscribers: 50000 } },
      NODE,
      /below the handbook's guide of 1024 MB per 50000 subscribers \(1024 MB for 50000\)/,
    ],
    [
      "more subscribers than the default configuration serves",
      { sizing: { subscribers: 60000 } },
      NODE,
      /default configuration serves up to 50000/,
    ],
    [
      "natping_processes set below what sizing needs",
      { natpingProcesses: 3, sizing: { natedSubscribers: 50000 } },
      NODE,
      /set to 3, below the 7 the sizing needs: ceil\(50000 NATed/,
    ],
    [
      "an external log without an address",
      { externalLog: true },
      NODE,
      /external_log is turned on without externalAddress/,
    ],
    [
      "sizing for more RAM than the node has",
      { sizing: { ramMb: 32768 } },
      NODE,
      /sizing.ramMb is 32768 MB but the node has 16384 MB/,
    ],
    [
      "a root filesystem without noatime",
      {},
      { ramMb: 4096, rootMountOptions: ["rw", "relatime"] },
      /without noatime \(options: rw,relatime\)/,
    ],
  ];
  for (const [behaviour, inputs, facts, warning] of cases) {
    it(`warns about ${behaviour}`, () => {
      const plan = planPerformance(inputs, facts);
      assert.ok(
        plan.warnings.some((w) => warning.test(w)),
        JSON.stringify(plan.warnings),
      );
    });
  }

  it("does not warn about noatime when the stack enforces it", () => {
    const plan = planPerformance(
      { enforceNoatime: true },
      { ramMb: 4096, rootMountOptions: ["rw", "relatime"] },
    );
    assert.deepEqual(plan.warnings, []);
  });
});

describe("performance planner: values already on a node", () => {
  const config = parseConfig(readFileSync(fixturePath("config", "config.yml"), "utf8"));
  const nodeValues = Object.fromEntries(
    PERFORMANCE_OPTIONS.map((o) => [o.key, getKey(config, o.key) as string | number]),
  );

  it("reads the fixture's table-10 values back as inputs", () => {
    const { settings, failures } = settingsFromConfigValues(nodeValues);
    assert.deepEqual(failures, []);
    assert.equal(settings.lbTlsEnable, false);
    assert.equal(settings.externalLog, false);
    assert.equal(settings.natpingProcesses, 7);
  });

  it("finds the fixture's values valid on a 16 GB node", () => {
    // externalAddress is '' in the fixture: check everything else.
    const { "rsyslog.external_address": _unused, ...rest } = nodeValues;
    assert.deepEqual(validateConfigValues(rest, NODE), []);
  });

  it("names the config key of a bad value on the node", () => {
    const failures = validateConfigValues({
      "kamailio.proxy.natping_processes": 9,
      "rateomat.enable": "maybe",
    });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["rateomat.enable", "kamailio.proxy.natping_processes"],
    );
    assert.match(failures[0].reason, /rateomat.enable must be yes or no, got: "maybe"/);
  });
});

describe("performance planner: properties", function () {
  this.timeout(30000);

  it("never needs fewer natping processes for more NATed subscribers or a shorter interval", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 10_000_000 }),
        fc.nat({ max: 10_000_000 }),
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 1, max: 5000 }),
        (a, b, i, j, pps) => {
          const [fewer, more] = a <= b ? [a, b] : [b, a];
          const [shorter, longer] = i <= j ? [i, j] : [j, i];
          assert.ok(natpingProcessesFor(fewer, shorter, pps) <= natpingProcessesFor(more, shorter, pps));
          assert.ok(natpingProcessesFor(more, longer, pps) <= natpingProcessesFor(more, shorter, pps));
          // and enough processes: their capacity covers every NATed subscriber in one interval
          assert.ok(natpingProcessesFor(more, shorter, pps) * shorter * pps >= more);
        },
      ),
    );
  });

  // Each input set half of the time, with ranges mostly inside the limits so that enough inputs pass.
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 1 });
  const inputs: fc.Arbitrary<PerformanceInputs> = fc
    .record({
      profile: maybe(fc.constantFrom("high" as const, "low" as const)),
      sizing: maybe(
        fc.record({
          subscribers: maybe(fc.integer({ min: 0, max: 200000 })),
          natedSubscribers: maybe(fc.integer({ min: 0, max: 60000 })),
          ramMb: maybe(fc.integer({ min: 1, max: 65536 })),
        }),
      ),
      lbPkgMem: maybe(fc.integer({ min: 6, max: 64 })),
      lbShmMem: maybe(fc.integer({ min: 0, max: 9000 })),
      proxyShmMem: maybe(fc.integer({ min: 0, max: 9000 })),
      lbTcpChildren: maybe(fc.integer({ min: 0, max: 16 })),
      proxyChildren: maybe(fc.integer({ min: 0, max: 16 })),
      lbTlsEnable: maybe(fc.boolean()),
      natpingInterval: maybe(fc.integer({ min: 0, max: 600 })),
      natpingProcesses: maybe(fc.integer({ min: 0, max: 8 })),
      bufferPoolSize: maybe(fc.constantFrom("24MB", "64MB", "1G", "20G", "x")),
      proxyDefaultExpires: maybe(fc.integer({ min: 0, max: 7200 })),
      proxyMinExpires: maybe(fc.integer({ min: 0, max: 7200 })),
      proxyMaxExpires: maybe(fc.integer({ min: 0, max: 7200 })),
      binlogDays: maybe(fc.integer({ min: 0, max: 30 })),
      externalLog: maybe(fc.boolean()),
      excludeKeys: maybe(fc.subarray(["kamailio.lb.tls.enable", "kamailio.lb.shm_mem"])),
    })
    // Pulumi omits unset inputs: drop the undefined fields.
    .map(
      (record) =>
        Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as PerformanceInputs,
    );
  const facts = fc.record({ ramMb: fc.constantFrom(0, 2048, 16384, 65536) });

  it("plans valid inputs into values that validate again and plan to themselves", () => {
    let valid = 0;
    fc.assert(
      fc.property(inputs, facts, (given, node) => {
        fc.pre(validatePerformance(given, node).length === 0);
        valid++;
        // GIVEN inputs that pass check WHEN planned
        const plan = planPerformance(given, node);
        // THEN the config values pass the same limits on that node
        assert.deepEqual(validateConfigValues(plan.values, node), []);
        // AND read back as explicit inputs they plan to exactly the same values
        const { settings } = settingsFromConfigValues(plan.values);
        assert.deepEqual(planPerformance(settings, node).values, plan.values);
      }),
      { numRuns: 300 },
    );
    assert.ok(valid > 20, `only ${valid} valid inputs generated`);
  });
});
