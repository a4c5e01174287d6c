import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { isMap, isScalar, visit } from "yaml";
import {
  type ConfigChange,
  type ConfigValue,
  type KeyPath,
  ConfigError,
  diffKeys,
  dotted,
  getKey,
  hasKey,
  isPathPrefix,
  leaves,
  parseConfig,
  patchConfig,
  pendingChanges,
  toKeyPath,
} from "../../providers/ngcpConfig/document";
import { fixturePath } from "../support/fixtures";

const FIXTURES = fixturePath("config");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
const CONFIG = fixture("config.yml");

/** Lines of `after` that are not in `before`, and the reverse, by position (equal line counts only). */
function changedLines(before: string, after: string): { line: number; before: string; after: string }[] {
  const a = before.split("\n");
  const b = after.split("\n");
  assert.equal(a.length, b.length, "expected a replacement-only patch (same line count)");
  return a.flatMap((line, i) => (line === b[i] ? [] : [{ line: i + 1, before: line, after: b[i] }]));
}

describe("ngcpConfig document: key paths", () => {
  const cases: [string | string[], string[]][] = [
    ["kamailio.lb.port", ["kamailio", "lb", "port"]],
    [
      ["www_admin", "http_csc", "port"],
      ["www_admin", "http_csc", "port"],
    ],
    [
      ["odd.key", "x"],
      ["odd.key", "x"],
    ],
    ["rateomat", ["rateomat"]],
  ];
  for (const [input, segments] of cases) {
    it(`splits ${JSON.stringify(input)} into ${segments.length} segment(s)`, () => {
      assert.deepEqual(toKeyPath(input), segments);
      assert.equal(dotted(input), segments.join("."));
    });
  }

  for (const bad of ["", "a..b", ".a", "a.", [] as string[], ["a", ""]]) {
    it(`rejects the empty-segment path ${JSON.stringify(bad)}`, () => {
      assert.throws(() => toKeyPath(bad), ConfigError);
    });
  }

  it("treats a parent map as a prefix segment-wise, not by characters", () => {
    assert.equal(isPathPrefix("kamailio.lb", "kamailio.lb.port"), true);
    assert.equal(isPathPrefix("kamailio.lb", "kamailio.lb"), true);
    assert.equal(isPathPrefix("kamailio.l", "kamailio.lb.port"), false);
    assert.equal(isPathPrefix("kamailio.lb.port", "kamailio.lb"), false);
  });
});

describe("ngcpConfig document: reading config.yml", () => {
  const doc = parseConfig(CONFIG);
  const cases: [string, unknown][] = [
    ["kamailio.lb.port", 5060],
    ["kamailio.lb.tls.enable", "no"], // yes/no stay strings (YAML 1.2 core schema)
    ["rateomat.enable", "yes"],
    ["database.bufferpoolsize", "64MB"],
    ["general.adminmail", "root@localhost"],
    ["ossbss.apache.autoprov.sslcertfile", "/etc/ngcp-config/ssl/myserver.crt"], // through an alias
    ["rsyslog.external_address", ""],
    ["kamailio.lb.extra_sockets", ["udp:198.18.0.11:5062", "tcp:198.18.0.11:5062"]],
    ["nginx", { xcap_port: 1080 }],
    ["kamailio.lb.nope", undefined],
    ["kamailio.lb.port.deeper", undefined],
  ];
  for (const [key, value] of cases) {
    it(`reads ${key} as ${JSON.stringify(value)}`, () => {
      // GIVEN the fixture WHEN the key is read THEN it has the fixture's value
      assert.deepEqual(getKey(doc, key), value);
    });
  }

  it("knows that an empty key exists", () => {
    const empty = parseConfig("a:\n");
    assert.equal(hasKey(empty, "a"), true);
    assert.equal(getKey(empty, "a"), null);
    assert.equal(hasKey(empty, "b"), false);
  });

  const invalid: [string, string, RegExp][] = [
    ["invalid YAML", "a: [1, 2\nb: 3\n", /not valid YAML: line \d+, column \d+/],
    ["a duplicate key", "a: 1\na: 2\n", /line 2, column 1: Map keys must be unique/],
    ["a list at the top level", "- a\n- b\n", /map of keys at the top level/],
    ["a scalar at the top level", "just text\n", /map of keys at the top level/],
    ["two documents", "a: 1\n---\nb: 2\n", /not valid YAML/],
  ];
  for (const [what, text, message] of invalid) {
    it(`rejects ${what} naming where`, () => {
      assert.throws(
        () => parseConfig(text),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }

  it("accepts an empty file and a file of comments", () => {
    assert.deepEqual(leaves(parseConfig("")), []);
    assert.deepEqual(leaves(parseConfig("# nothing yet\n")), []);
  });
});

describe("ngcpConfig document: patchConfig keeps every byte it does not own", () => {
  it("returns the text unchanged when there is nothing to change", () => {
    assert.deepEqual(patchConfig(CONFIG, []), { text: CONFIG, changed: [] });
  });

  it("returns the text unchanged when every key already has its value", () => {
    // GIVEN changes equal to the fixture's values (booleans as yes/no)
    const same: ConfigChange[] = [
      { path: "kamailio.lb.port", value: 5060 },
      { path: "kamailio.lb.tls.enable", value: false },
      { path: "rateomat.enable", value: "yes" },
      { path: "database.bufferpoolsize", value: "64MB" },
    ];
    // WHEN patched THEN not one byte differs
    assert.deepEqual(patchConfig(CONFIG, same), { text: CONFIG, changed: [] });
  });

  it("produces exactly the golden file for replaced, aliased and new keys", () => {
    // GIVEN the fixture and a mix of changes: plain, quoted, commented, aliased, new leaf, new map
    const result = patchConfig(CONFIG, [
      { path: "kamailio.lb.shm_mem", value: 64 },
      { path: "kamailio.lb.tls.enable", value: true },
      { path: "database.bufferpoolsize", value: "24MB" },
      { path: "www_admin.http_csc.sslcertkeyfile", value: "/etc/ngcp-config/ssl/ngcp-fleet-csc.key" },
      { path: "general.companyname", value: 'Example "Telecom" GmbH' },
      {
        path: "ossbss.apache.autoprov.sslcertfile",
        value: "/etc/ngcp-config/ssl/ngcp-fleet-provisioning.crt",
      },
      { path: ["rsyslog", "external_port"], value: 514 },
      { path: "backup.cdrexport.enable", value: false },
    ]);
    // THEN the text is byte-identical to the reviewed golden file
    assert.equal(result.text, fixture("config.patched.yml"));
    // AND the change list names exactly those keys, old and new values
    assert.deepEqual(
      result.changed.map((c) => [c.key, c.before, c.after]),
      [
        ["general.companyname", "Example Telecom GmbH", 'Example "Telecom" GmbH'],
        ["database.bufferpoolsize", "64MB", "24MB"],
        ["kamailio.lb.shm_mem", 1024, 64],
        ["kamailio.lb.tls.enable", "no", "yes"],
        [
          "ossbss.apache.autoprov.sslcertfile",
          "/etc/ngcp-config/ssl/myserver.crt",
          "/etc/ngcp-config/ssl/ngcp-fleet-provisioning.crt",
        ],
        ["rsyslog.external_port", undefined, 514],
        [
          "www_admin.http_csc.sslcertkeyfile",
          "/etc/ngcp-config/ssl/myserver.key",
          "/etc/ngcp-config/ssl/ngcp-fleet-csc.key",
        ],
        ["backup.cdrexport.enable", undefined, "no"],
      ],
    );
  });

  it("changes only the value's characters on the value's line, keeping indentation and trailing comment", () => {
    const { text } = patchConfig(CONFIG, [
      { path: "kamailio.lb.shm_mem", value: 2048 },
      { path: "cleanuptools.binlog_days", value: 7 },
    ]);
    assert.deepEqual(
      changedLines(CONFIG, text).map((l) => [l.before, l.after]),
      [
        [
          "  binlog_days: 15   # MySQL binary logs kept (handbook 15.7, table 10)",
          "  binlog_days: 7   # MySQL binary logs kept (handbook 15.7, table 10)",
        ],
        [
          "    shm_mem: 1024      # installer: 1/16 of the RAM",
          "    shm_mem: 2048      # installer: 1/16 of the RAM",
        ],
      ],
    );
  });

  // [what, source, change path, value, expected text]
  const renderings: [string, string, string | string[], ConfigValue, string][] = [
    ["a plain number", "a: 1\n", "a", 2, "a: 2\n"],
    ["a plain string", "a: x\n", "a", "64MB", "a: 64MB\n"],
    ["a single-quoted string keeps its quotes", "a: 'x'\n", "a", "y z", "a: 'y z'\n"],
    ["a double-quoted string keeps its quotes", 'a: "x"\n', "a", "y", 'a: "y"\n'],
    ["an apostrophe inside single quotes is doubled", "a: 'x'\n", "a", "it's", "a: 'it''s'\n"],
    ["a true boolean as yes", "a: no\n", "a", true, "a: yes\n"],
    ["a false boolean as no", "a: yes\n", "a", false, "a: no\n"],
    ["a string that looks like a number is quoted", "a: x\n", "a", "5060", 'a: "5060"\n'],
    ["a number replaces a quoted string unquoted", "a: '443'\n", "a", 8443, "a: 8443\n"],
    ["a string with ': ' is quoted", "a: x\n", "a", "k: v", 'a: "k: v"\n'],
    ["a string starting with # is quoted", "a: x # c\n", "a", "#1", 'a: "#1" # c\n'],
    ["an empty string", "a: x\n", "a", "", 'a: ""\n'],
    ["a newline becomes an escape", "a: x\n", "a", "l1\nl2", 'a: "l1\\nl2"\n'],
    ["a string that YAML would write as a block is double-quoted", "a: x\n", "a", "---0", 'a: "---0"\n'],
    ["an empty value gets a space after the colon", "a:\nb: 1\n", "a", 5, "a: 5\nb: 1\n"],
    ["an empty value before a comment keeps the comment apart", "a:   # c\n", "a", 5, "a:   5 # c\n"],
    [
      "a block scalar keeps the break before the next key",
      "a: |\n  x\n  y\n\nb: 1\n",
      "a",
      "z",
      "a: z\n\nb: 1\n",
    ],
    ["a value in a flow map is double-quoted", "a: {b: 1, c: 2}\n", "a.b", "x, y", 'a: {b: "x, y", c: 2}\n'],
    ["an anchor without aliases stays", "a: &x 1\n", "a", 2, "a: &x 2\n"],
    ["an alias is replaced by the value", "a: &x 1\nb: *x\n", "b", 2, "a: &x 1\nb: 2\n"],
    [
      "a new leaf goes after its last sibling",
      "a:\n  b: 1\n  # end of a\nc: 2\n",
      "a.z",
      3,
      "a:\n  b: 1\n  z: 3\n  # end of a\nc: 2\n",
    ],
    [
      "new parents are created with the file's indent step",
      "a:\n    b: 1\n",
      "a.c.d",
      1,
      "a:\n    b: 1\n    c:\n        d: 1\n",
    ],
    ["a new key under an empty parent becomes its child", "a:\nb: 1\n", "a.c", 1, "a:\n  c: 1\nb: 1\n"],
    [
      "a new top-level key goes after the last key, before a closing comment",
      "a: 1\n# end\n",
      "b",
      2,
      "a: 1\nb: 2\n# end\n",
    ],
    ["a file without a final newline gets one before the new key", "a: 1", "b", 2, "a: 1\nb: 2\n"],
    ["an empty file gets the key", "", "a.b", 1, "a:\n  b: 1\n"],
    ["a CRLF file gets CRLF lines", "a:\r\n  b: 1\r\n", "a.c", 2, "a:\r\n  b: 1\r\n  c: 2\r\n"],
    ["a key that needs quoting is quoted", "a: 1\n", ["x: y"], 1, 'a: 1\n"x: y": 1\n'],
  ];
  for (const [what, source, key, value, expected] of renderings) {
    it(`writes ${what}`, () => {
      assert.equal(patchConfig(source, [{ path: key, value }]).text, expected);
    });
  }

  // [what, source, changes, message]
  const refusals: [string, string, ConfigChange[], RegExp][] = [
    ["a path through a value", "a: 1\n", [{ path: "a.b", value: 1 }], /"a" is a value, not a map/],
    [
      "a path that names a map",
      "a:\n  b: 1\n",
      [{ path: "a", value: 1 }],
      /"a": it is a map, not a single value/,
    ],
    ["a path through a list", "a:\n  - b: 1\n", [{ path: "a.b", value: 1 }], /"a" is a list, not a map/],
    [
      "a path through an alias",
      "x: &m\n  b: 1\ny: *m\n",
      [{ path: "y.b", value: 2 }],
      /"y" is an alias \(\*m\)/,
    ],
    ["a new key in a flow map", "a: {b: 1}\n", [{ path: "a.c", value: 1 }], /flow map/],
    [
      "an anchored value that aliases use",
      "a: &x 1\nb: *x\n",
      [{ path: "a", value: 2 }],
      /anchor &x that aliases/,
    ],
    [
      "a key inside an anchored map that aliases use",
      "a: &m\n  k: 1\nb: *m\n",
      [{ path: "a.k", value: 2 }],
      /anchor &m/,
    ],
    [
      "two values for one key",
      "a: 1\n",
      [
        { path: "a", value: 1 },
        { path: "a", value: 2 },
      ],
      /conflicting changes/,
    ],
    [
      "a key and its parent",
      "a: 1\n",
      [
        { path: "a", value: 1 },
        { path: "a.b", value: 2 },
      ],
      /conflicting changes/,
    ],
    ["a value that is not a finite number", "a: 1\n", [{ path: "a", value: Number.NaN }], /finite numbers/],
    ["a value a tag would turn into a string", "a: !!str 5\n", [{ path: "a", value: 6 }], /read back as "6"/],
  ];
  for (const [what, source, changes, message] of refusals) {
    it(`refuses ${what}, naming the key`, () => {
      assert.throws(
        () => patchConfig(source, changes),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }

  it("applies the same change twice as one", () => {
    const result = patchConfig("a: 1\n", [
      { path: "a", value: 2 },
      { path: ["a"], value: 2 },
    ]);
    assert.equal(result.text, "a: 2\n");
  });
});

describe("ngcpConfig document: diffKeys and pendingChanges for preview", () => {
  it("lists changed, added and removed leaves with both values", () => {
    const changes = diffKeys("a: 1\nb:\n  c: x\nd: 4\n", "a: 2\nb:\n  c: x\n  e: yes\n");
    assert.deepEqual(
      changes.map((c) => [c.key, c.before, c.after]),
      [
        ["a", 1, 2],
        ["b.e", undefined, "yes"],
        ["d", 4, undefined],
      ],
    );
  });

  it('sees "443" and 443 as different values', () => {
    assert.deepEqual(
      diffKeys("p: '443'\n", "p: 443\n").map((c) => [c.before, c.after]),
      [["443", 443]],
    );
  });

  it("finds no difference between formatting variants of one value", () => {
    assert.deepEqual(diffKeys("a: 'x'   # c\n", 'a: "x"\n'), []);
  });

  it("lists only the requested keys that differ from the document", () => {
    const doc = parseConfig(CONFIG);
    const pending = pendingChanges(doc, [
      { path: "kamailio.lb.port", value: 5060 },
      { path: "kamailio.lb.tls.enable", value: true },
      { path: "rsyslog.external_port", value: 514 },
    ]);
    assert.deepEqual(
      pending.map((c) => [c.key, c.before, c.after]),
      [
        ["kamailio.lb.tls.enable", "no", "yes"],
        ["rsyslog.external_port", undefined, 514],
      ],
    );
  });
});

describe("ngcpConfig document: properties of patchConfig", function () {
  // Each run parses the document once per change; hundreds of runs need more than mocha's 2 s.
  this.timeout(30000);
  const doc = parseConfig(CONFIG);
  const usedAnchors = new Set<string>();
  visit(doc, { Alias: (_, alias) => void usedAnchors.add(alias.source) });
  // Leaves we may set: not in lists, not under an anchor that aliases use.
  const settable = leaves(doc)
    .map((leaf) => leaf.path)
    .filter((p) => !p.some((segment) => /^\d+$/.test(segment)))
    .filter((p) => {
      const node: unknown = doc.getIn(p, true);
      return !(
        node !== null &&
        typeof node === "object" &&
        "anchor" in node &&
        usedAnchors.has(String(node.anchor))
      );
    });
  // Leaves written on one line (not `|` or `>` blocks), for the line-by-line comparison.
  const singleLine = settable.filter((p) => {
    const node: unknown = doc.getIn(p, true);
    return !(isScalar(node) && (node.type === "BLOCK_FOLDED" || node.type === "BLOCK_LITERAL"));
  });
  const mapPaths: KeyPath[] = [[]];
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (isMap(pair.value) && !pair.value.flow) {
        const keys = ancestors
          .filter((a) => typeof a === "object" && a !== null && "key" in a)
          .map((a) => String((a as { key: { value: unknown } }).key.value));
        mapPaths.push([...keys, String((pair.key as { value: unknown }).value)]);
      }
    },
  });

  const value = fc.oneof(
    fc.integer({ min: -100000, max: 100000 }),
    fc.boolean(),
    fc.string(),
    fc.constantFrom(
      "yes",
      "no",
      "",
      "a: b",
      "#x",
      "'q'",
      '"dq"',
      " lead",
      "trail ",
      "multi\nline",
      "64MB",
      "123",
      "null",
      "~",
      "- item",
      "[x]",
      "{y}",
      "é ü",
      "tab\there",
    ),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  );
  const existing = fc.record({ path: fc.constantFrom(...settable), value });
  const created = fc.record({
    path: fc
      .tuple(
        fc.constantFrom(...mapPaths),
        fc.array(fc.stringMatching(/^zz_[a-z]{1,6}$/), { minLength: 1, maxLength: 3 }),
      )
      .map(([parent, rest]) => [...parent, ...rest]),
    value,
  });
  /** Keeps the first of any two changes that overlap (same key, or one inside the other). */
  const disjoint = (changes: { path: KeyPath; value: ConfigValue }[]) =>
    changes.filter(
      (c, i) =>
        !changes.slice(0, i).some((d) => isPathPrefix(d.path, c.path) || isPathPrefix(c.path, d.path)),
    );

  it("sets every requested key, leaves every other key's value as it was, and is idempotent", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(existing, created), { maxLength: 8 }).map(disjoint), (changes) => {
        // GIVEN any set of non-overlapping changes WHEN patched
        const { text } = patchConfig(CONFIG, changes);
        const after = parseConfig(text);
        // THEN each requested key holds its value (booleans as yes/no)
        for (const change of changes) {
          const expected =
            typeof change.value === "boolean"
              ? change.value
                ? "yes"
                : "no"
              : Object.is(change.value, -0)
                ? 0
                : change.value;
          assert.ok(Object.is(getKey(after, change.path), expected), `${dotted(change.path)}`);
        }
        // AND every leaf of the original that was not requested still has its value
        for (const leaf of leaves(doc)) {
          if (!changes.some((r) => isPathPrefix(r.path, leaf.path))) {
            assert.deepEqual(getKey(after, leaf.path), leaf.value, `${dotted(leaf.path)} must not change`);
          }
        }
        // AND patching again changes nothing
        assert.equal(patchConfig(text, changes).text, text);
      }),
      { numRuns: 150 },
    );
  });

  it("keeps the text outside the changed values byte-identical for replacements", () => {
    fc.assert(
      fc.property(
        fc
          .array(
            fc.record({
              path: fc.constantFrom(...singleLine),
              value: fc.oneof(fc.integer({ min: 0, max: 99999 }), fc.stringMatching(/^[a-z0-9/_.-]{1,20}$/)),
            }),
            { maxLength: 6 },
          )
          .map(disjoint),
        (changes) => {
          const { text } = patchConfig(CONFIG, changes);
          // Removing every changed line's value leaves the same skeleton on both sides.
          for (const line of text === CONFIG ? [] : changedLines(CONFIG, text)) {
            const [prefixBefore] = line.before.split(":");
            const [prefixAfter] = line.after.split(":");
            assert.equal(prefixAfter, prefixBefore, `line ${line.line} keeps its key and indentation`);
            const commentBefore = line.before.includes(" #")
              ? line.before.slice(line.before.indexOf(" #"))
              : "";
            assert.ok(line.after.endsWith(commentBefore), `line ${line.line} keeps its comment`);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
