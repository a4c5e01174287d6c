import { strict as assert } from "node:assert";
import {
  REMOUNT_ROOT_NOATIME,
  noatimeWarning,
  parseMountOptions,
  renderFstabNoatime,
} from "../../providers/performance/noatime";

const PROC_MOUNTS = [
  "rootfs / rootfs rw 0 0",
  "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
  "/dev/vda1 / ext4 rw,relatime,errors=remount-ro 0 0",
  "/dev/vdb1 /var/lib/mysql ext4 rw,noatime 0 0",
  "/dev/vdc1 /srv/my\\040data xfs rw,nodiratime 0 0",
  "",
].join("\n");

describe("performance noatime: reading the root filesystem's options", () => {
  // [mount point, options]
  const cases: [string, string[] | undefined][] = [
    ["/", ["rw", "relatime", "errors=remount-ro"]], // the last mount of / wins over rootfs
    ["/var/lib/mysql", ["rw", "noatime"]],
    ["/srv/my data", ["rw", "nodiratime"]], // \040 decoded
    ["/nowhere", undefined],
  ];
  for (const [mountPoint, options] of cases) {
    it(`reads the options of ${mountPoint} as ${JSON.stringify(options)}`, () => {
      assert.deepEqual(parseMountOptions(PROC_MOUNTS, mountPoint), options);
    });
  }

  it("reads / by default", () => {
    assert.deepEqual(parseMountOptions("/dev/sda1 / ext4 rw,noatime 0 0\n"), ["rw", "noatime"]);
  });

  it("warns when noatime is missing, naming the options and the fix", () => {
    assert.equal(
      noatimeWarning(["rw", "relatime"]),
      "root filesystem is mounted without noatime (options: rw,relatime); handbook 15.7 recommends noatime for disk I/O " +
        "unless software on the node needs access times; set enforceNoatime to add it",
    );
  });

  it("does not warn when noatime is set", () => {
    assert.equal(noatimeWarning(["rw", "noatime"]), undefined);
  });

  it("warns that it cannot check when / is not in /proc/mounts", () => {
    assert.match(noatimeWarning(undefined) ?? "", /not found in \/proc\/mounts/);
  });

  it("remounts / with noatime through one argv", () => {
    assert.deepEqual(REMOUNT_ROOT_NOATIME, ["mount", "-o", "remount,noatime", "/"]);
  });
});

describe("performance noatime: adding noatime to /etc/fstab", () => {
  const FSTAB = [
    "# /etc/fstab: static file system information.",
    "#",
    "# <file system>             <mount point>  <type>  <options>           <dump>  <pass>",
    "# UUID=old-root             /              ext4    defaults            0       1",
    "UUID=2f6e-root              /              ext4    errors=remount-ro   0       1",
    "UUID=9a1c-boot              /boot          ext2    defaults            0       2",
    "/dev/vdb1\t/var/lib/mysql\text4\trelatime\t0\t2",
    "",
  ].join("\n");

  it("adds noatime to the root entry and changes no other byte", () => {
    // GIVEN an fstab with comments, a commented-out root entry and other mounts
    const result = renderFstabNoatime(FSTAB);
    // THEN only the options field of the active root entry changed
    assert.equal(result.changed, true);
    assert.equal(
      result.text,
      FSTAB.replace("ext4    errors=remount-ro   0", "ext4    errors=remount-ro,noatime   0"),
    );
    assert.deepEqual([result.before, result.after], ["errors=remount-ro", "errors=remount-ro,noatime"]);
  });

  // [behaviour, root entry options, new options]
  const options: [string, string, string][] = [
    ["appends to defaults", "defaults", "defaults,noatime"],
    ["replaces relatime", "defaults,relatime", "defaults,noatime"],
    ["replaces strictatime and atime", "strictatime,atime,rw", "rw,noatime"],
    ["drops norelatime", "norelatime", "noatime"],
    ["keeps compatible options", "rw,nodiratime,lazytime", "rw,nodiratime,lazytime,noatime"],
    ["cleans up a contradicting relatime next to noatime", "noatime,relatime", "noatime"],
  ];
  for (const [behaviour, before, after] of options) {
    it(`${behaviour}: ${before} → ${after}`, () => {
      const result = renderFstabNoatime(`/dev/sda1 / ext4 ${before} 0 1\n`);
      assert.equal(result.text, `/dev/sda1 / ext4 ${after} 0 1\n`);
    });
  }

  it("leaves an fstab that already has noatime untouched", () => {
    const fstab = "/dev/sda1 / ext4 rw,noatime 0 1\n";
    assert.deepEqual(renderFstabNoatime(fstab), {
      text: fstab,
      changed: false,
      before: "rw,noatime",
      after: "rw,noatime",
    });
  });

  it("adds an options field to a root entry that has none", () => {
    assert.equal(renderFstabNoatime("/dev/sda1 / ext4\n").text, "/dev/sda1 / ext4\tdefaults,noatime\n");
  });

  it("keeps a file without a final newline without one", () => {
    assert.equal(
      renderFstabNoatime("/dev/sda1 / ext4 defaults 0 1").text,
      "/dev/sda1 / ext4 defaults,noatime 0 1",
    );
  });

  const refusals: [string, string, RegExp][] = [
    [
      "no root entry",
      "UUID=x /boot ext2 defaults 0 2\n# /dev/sda1 / ext4 defaults 0 1\n",
      /no entry for the root filesystem/,
    ],
    [
      "two root entries",
      "/dev/sda1 / ext4 defaults 0 1\n/dev/sdb1 / ext4 defaults 0 1\n",
      /2 entries for \/ \(lines 1, 2\)/,
    ],
  ];
  for (const [what, fstab, message] of refusals) {
    it(`refuses an fstab with ${what}`, () => {
      assert.throws(() => renderFstabNoatime(fstab), message);
    });
  }
});
