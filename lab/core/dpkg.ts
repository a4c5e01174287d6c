/**
 * The node's package database as far as the lab needs it (pure): the two support-access packages of
 * handbook 15.1, kept as stanzas in the node's own /var/lib/dpkg/status (a copy of the host's), so the real
 * `dpkg-query -W -f='${Status}' <package>` answers on the node.
 */

export interface PackageDef {
  readonly name: string;
  readonly version: string;
  readonly conflicts: string;
  readonly description: string;
}

export const SUPPORT_ACCESS = "ngcp-support-access";
export const SUPPORT_NOACCESS = "ngcp-support-noaccess";

export function supportPackages(ngcpVersion: string): Readonly<Record<string, PackageDef>> {
  const version = `${ngcpVersion.replace(/^mr/, "")}.0+0~${ngcpVersion}.0`;
  return {
    [SUPPORT_ACCESS]: {
      name: SUPPORT_ACCESS,
      version,
      conflicts: SUPPORT_NOACCESS,
      description:
        "Sipwise support access to this system\n Installs the ngcp-support-access tool that enables and disables\n SSH access of the Sipwise operational team (user sipwise).",
    },
    [SUPPORT_NOACCESS]: {
      name: SUPPORT_NOACCESS,
      version,
      conflicts: SUPPORT_ACCESS,
      description:
        "Disable Sipwise support access to this system\n Conflicts with ngcp-support-access, so the support access tool\n cannot be installed by accident.",
    },
  };
}

/** Splits a dpkg status file into stanzas (blank-line separated), keeping each stanza's text. */
export function splitStanzas(status: string): string[] {
  return status
    .split(/\n\s*\n/)
    .map((s) => s.replace(/^\n+|\n+$/g, ""))
    .filter((s) => s.length > 0);
}

function stanzaField(stanza: string, field: string): string | undefined {
  const m = new RegExp(`^${field}: (.*)$`, "m").exec(stanza);
  return m ? m[1] : undefined;
}

/** Whether `name` is installed ("install ok installed") in the status text. */
export function isInstalled(status: string, name: string): boolean {
  return splitStanzas(status).some(
    (s) => stanzaField(s, "Package") === name && stanzaField(s, "Status") === "install ok installed",
  );
}

export function installedVersion(status: string, name: string): string | undefined {
  const s = splitStanzas(status).find(
    (st) => stanzaField(st, "Package") === name && stanzaField(st, "Status") === "install ok installed",
  );
  return s ? stanzaField(s, "Version") : undefined;
}

export function renderStanza(p: PackageDef): string {
  return [
    `Package: ${p.name}`,
    "Status: install ok installed",
    "Priority: optional",
    "Section: admin",
    "Installed-Size: 24",
    "Maintainer: Sipwise Development Team <support@sipwise.com>",
    "Architecture: all",
    `Version: ${p.version}`,
    `Conflicts: ${p.conflicts}`,
    `Description: ${p.description}`,
  ].join("\n");
}

/** Removes a package's stanza (apt-get removing it; the lab does not keep config-files states). */
export function withoutPackage(status: string, name: string): string {
  return (
    splitStanzas(status)
      .filter((s) => stanzaField(s, "Package") !== name)
      .join("\n\n") + "\n"
  );
}

export function withPackage(status: string, p: PackageDef): string {
  return [...splitStanzas(withoutPackage(status, p.name)), renderStanza(p)].join("\n\n") + "\n";
}

export interface InstallPlan {
  readonly install: readonly PackageDef[];
  readonly remove: readonly string[];
  readonly alreadyInstalled: readonly PackageDef[];
}

/**
 * What `apt-get install <names>` does with the support packages: installs what is missing and removes what
 * conflicts with it. Throws with apt's wording for a package it does not know.
 */
export function planInstall(
  status: string,
  names: readonly string[],
  known: Readonly<Record<string, PackageDef>>,
): InstallPlan {
  const install: PackageDef[] = [];
  const alreadyInstalled: PackageDef[] = [];
  const remove = new Set<string>();
  for (const name of names) {
    const def = known[name];
    if (!def) {
      throw new Error(`E: Unable to locate package ${name}`);
    }
    if (isInstalled(status, name)) {
      alreadyInstalled.push(def);
    } else {
      install.push(def);
      if (isInstalled(status, def.conflicts)) {
        remove.add(def.conflicts);
      }
    }
  }
  const installing = new Set(install.map((p) => p.name));
  for (const p of install) {
    if (installing.has(p.conflicts)) {
      throw new Error(
        `E: Unable to correct problems, you have held broken packages.\n ${p.name} : Conflicts: ${p.conflicts}`,
      );
    }
  }
  return { install, remove: [...remove], alreadyInstalled };
}
