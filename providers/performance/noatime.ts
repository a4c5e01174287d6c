/**
 * The handbook's `noatime` note (15.7): "If you have performance issues with regards to disk I/O please
 * consider enabling the noatime mount option for the root filesystem. Sipwise recommends the usage of
 * noatime, though remove it if you use software which conflicts with its presence."
 *
 * So: report the root filesystem's options and warn when `noatime` is missing; change /etc/fstab and
 * remount only when the stack asks for it explicitly. Pure text functions; the provider reads
 * /proc/mounts and /etc/fstab and runs {@link REMOUNT_ROOT_NOATIME}.
 */

/** The command that applies `noatime` to the running root filesystem, as argv for the transport. */
export const REMOUNT_ROOT_NOATIME: readonly string[] = ["mount", "-o", "remount,noatime", "/"];

/**
 * Options that contradict `noatime`, removed when it is added, so the entry states one atime policy.
 * (`nodiratime` and `lazytime` are compatible and kept.)
 */
const ATIME_OPTIONS: readonly string[] = ["atime", "relatime", "strictatime", "norelatime"];

/**
 * The options of the mount in effect at `mountPoint`: the last /proc/mounts line for it (a later mount
 * hides earlier ones, e.g. the initial `rootfs`). Mount points are compared after decoding the kernel's
 * octal escapes (`\040` for a space). `undefined` when nothing is mounted there.
 */
export function parseMountOptions(procMountsText: string, mountPoint = "/"): string[] | undefined {
  let options: string[] | undefined;
  for (const line of procMountsText.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 4 && decodeMountField(fields[1]) === mountPoint) {
      options = fields[3].split(",").filter((option) => option.length > 0);
    }
  }
  return options;
}

/** The preview warning for the root filesystem's options, or `undefined` when `noatime` is set. */
export function noatimeWarning(options: readonly string[] | undefined): string | undefined {
  if (options === undefined) {
    return "root filesystem not found in /proc/mounts: cannot check the noatime recommendation (handbook 15.7)";
  }
  if (options.includes("noatime")) {
    return undefined;
  }
  return (
    `root filesystem is mounted without noatime (options: ${options.join(",") || "none"}); handbook 15.7 ` +
    "recommends noatime for disk I/O unless software on the node needs access times; set enforceNoatime to add it"
  );
}

export interface FstabRender {
  /** The new fstab; identical to the input when the root entry already has `noatime`. */
  readonly text: string;
  readonly changed: boolean;
  /** The root entry's options before and after, for the preview. */
  readonly before: string;
  readonly after: string;
}

/**
 * Adds `noatime` to the options of the root (`/`) entry of /etc/fstab and drops options that contradict
 * it (`relatime`, `strictatime`, `atime`, `norelatime`). Only the options field of that one line changes;
 * every other byte (comments, spacing, other entries) stays. Throws when there is no active root entry
 * or more than one.
 */
export function renderFstabNoatime(fstabText: string): FstabRender {
  const lines = fstabText.split("\n");
  const rootLines = lines
    .map((line, index) => ({ index, fields: fieldSpans(line) }))
    .filter(
      ({ fields }) =>
        fields.length >= 3 && !fields[0].text.startsWith("#") && decodeMountField(fields[1].text) === "/",
    );
  if (rootLines.length !== 1) {
    throw new Error(
      rootLines.length === 0
        ? "/etc/fstab has no entry for the root filesystem (/): cannot add noatime; add it by hand"
        : `/etc/fstab has ${rootLines.length} entries for / (lines ${rootLines.map((r) => r.index + 1).join(", ")}): cannot tell which one to change`,
    );
  }
  const { index, fields } = rootLines[0];
  const line = lines[index];
  const optionsField = fields[3];
  const before = optionsField?.text ?? "defaults";
  const options = before.split(",").filter((option) => option.length > 0 && !ATIME_OPTIONS.includes(option));
  if (before.split(",").includes("noatime") && options.length === before.split(",").length) {
    return { text: fstabText, changed: false, before, after: before };
  }
  const after = [...options.filter((option) => option !== "noatime"), "noatime"].join(",");
  lines[index] =
    optionsField === undefined
      ? `${line.replace(/\s+$/, "")}\t${after}`
      : line.slice(0, optionsField.start) + after + line.slice(optionsField.start + optionsField.text.length);
  return { text: lines.join("\n"), changed: true, before, after };
}

/** Whitespace-separated fields of an fstab line with their offsets. */
function fieldSpans(line: string): { readonly text: string; readonly start: number }[] {
  const spans: { text: string; start: number }[] = [];
  const pattern = /\S+/g;
  for (let match = pattern.exec(line); match !== null; match = pattern.exec(line)) {
    spans.push({ text: match[0], start: match.index });
  }
  return spans;
}

/** fstab and /proc/mounts escape spaces, tabs, newlines and backslashes as octal (`\040`). */
function decodeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
