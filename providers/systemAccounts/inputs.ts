/**
 * Plain inputs of the SystemAccounts resource (handbook 15.3), as the provider receives and stores them.
 * The user-facing `pulumi.Input<>` Args live in the resource file. Passwords arrive in clear (the provider
 * receives secrets decrypted); the engine keeps them encrypted in the state as secret inputs, and no output,
 * diff text or message of this directory contains them.
 */

/** The jailed `cdrexport` account that fetches exported CDRs (handbook 15.3: login disabled by default). */
export interface CdrexportInputs {
  /**
   * `key`: login by SSH key only; `authorizedKeys` becomes the account's authorized_keys and its password
   * login is locked. `password`: a (strong) password is set through `chpasswd`; `authorizedKeys`, when
   * given, is managed as well. Handbook 15.3: "SSH keys should be used … or alternatively a really strong
   * password".
   */
  readonly mode: "key" | "password";
  /**
   * OpenSSH public key lines (`ssh-ed25519 AAAA… comment`, options such as `from="…"` allowed).
   * Required (at least one) with `mode: key`. @default none
   */
  readonly authorizedKeys?: readonly string[];
  /** Only with `mode: password`; checked for strength. A secret. @default none */
  readonly password?: string;
}

/** Keys to keep when wiping the preinstalled authorized_keys (handbook 15.3). */
export interface KeepKeysInputs {
  /** Public key lines kept (or added) in root's authorized_keys — the deployer's own key belongs here. @default none */
  readonly root?: readonly string[];
  /** Public key lines kept (or added) in sipwise's authorized_keys. @default none */
  readonly sipwise?: readonly string[];
}

export interface SystemAccountsInputs {
  /** The cdrexport login. @default none: the account is left as installed (login disabled) */
  readonly cdrexport?: CdrexportInputs;
  /**
   * The root password (handbook 15.3: VM images ship root with `sipwise`; "must be changed immediately").
   * A secret, set through `chpasswd` on stdin. `sipwise` is refused. @default none: root's password is not
   * managed (the audit still flags `sipwise`)
   */
  readonly rootPassword?: string;
  /**
   * Wipe the preinstalled `authorized_keys` (and `authorized_keys2`) of root and sipwise, keeping only the
   * keys named in `keepKeys` (handbook 15.3, VirtualBox/VMware images). @default false
   */
  readonly wipeAuthorizedKeys?: boolean;
  /** The keys that survive the wipe. @default none */
  readonly keepKeys?: KeepKeysInputs;
  /**
   * The node is a Vagrant box: the wipe is skipped, as the handbook says ("skip the step if you use
   * Vagrant"), because vagrant's own access relies on those keys. @default false
   */
  readonly vagrant?: boolean;
  /**
   * The user the deployer logs in as (from the node target). Used only to refuse a wipe that would lock the
   * deployer out. @default "root"
   */
  readonly deployerUser?: string;
}

/** The accounts this resource touches (handbook 15.1, 15.3). */
export const ROOT = "root";
export const SIPWISE = "sipwise";
export const CDREXPORT = "cdrexport";

/** The default root password of the Vagrant/VirtualBox/VMware images (handbook 15.3). */
export const VM_IMAGE_ROOT_PASSWORD = "sipwise";
