/**
 * Edits of the node's copy of /etc/passwd, /etc/group, /etc/shadow and /etc/gshadow (pure). The node's
 * /etc starts as a copy of the host's; these add the accounts an NGCP VM image has, without touching the
 * host's files.
 */

export interface AccountFiles {
  readonly passwd: string;
  readonly group: string;
  readonly shadow: string;
  readonly gshadow: string;
}

export interface NewUser {
  readonly name: string;
  readonly gecos: string;
  readonly home: string;
  readonly shell: string;
  /**
   * Second field of /etc/shadow: `*` = no password (key login only), `!` = locked (login disabled), or a
   * crypt(3) hash.
   */
  readonly shadowPassword: string;
}

export interface AddedUser {
  readonly files: AccountFiles;
  readonly uid: number;
  readonly gid: number;
}

const lines = (text: string): string[] => text.split("\n").filter((l) => l.length > 0);
const join = (ls: readonly string[]): string => ls.join("\n") + "\n";

function usedIds(text: string, field: number): Set<number> {
  return new Set(lines(text).map((l) => Number(l.split(":")[field])));
}

/** Lowest id from 1000 up (Debian's FIRST_UID/FIRST_GID) free in both passwd and group. */
function firstFreeId(files: AccountFiles): number {
  const uids = usedIds(files.passwd, 2);
  const gids = usedIds(files.group, 2);
  let id = 1000;
  while (uids.has(id) || gids.has(id)) {
    id++;
  }
  return id;
}

function hasEntry(text: string, name: string): boolean {
  return lines(text).some((l) => l.split(":")[0] === name);
}

/** Adds a user with its own group, as `adduser` does on Debian. Throws when the name exists. */
export function addUser(files: AccountFiles, user: NewUser): AddedUser {
  if (hasEntry(files.passwd, user.name) || hasEntry(files.group, user.name)) {
    throw new Error(`user or group ${user.name} already exists in the node's /etc`);
  }
  const id = firstFreeId(files);
  // Days since the epoch of a fixed date: the image is "built" once, not on every lab up.
  const lastChange = 19723;
  return {
    uid: id,
    gid: id,
    files: {
      passwd: join([
        ...lines(files.passwd),
        `${user.name}:x:${id}:${id}:${user.gecos}:${user.home}:${user.shell}`,
      ]),
      group: join([...lines(files.group), `${user.name}:x:${id}:`]),
      shadow: join([
        ...lines(files.shadow),
        `${user.name}:${user.shadowPassword}:${lastChange}:0:99999:7:::`,
      ]),
      gshadow: join([...lines(files.gshadow), `${user.name}:!::`]),
    },
  };
}

/** Replaces the password field of one user in /etc/shadow. */
export function setShadowPassword(shadow: string, name: string, field: string): string {
  let found = false;
  const out = lines(shadow).map((l) => {
    const parts = l.split(":");
    if (parts[0] !== name) {
      return l;
    }
    found = true;
    parts[1] = field;
    return parts.join(":");
  });
  if (!found) {
    throw new Error(`user ${name} not found in /etc/shadow`);
  }
  return join(out);
}
