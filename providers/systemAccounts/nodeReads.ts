/** What the system accounts feature reads of a node (handbook 15.3), as parts of its batched read. */
import { CDREXPORT, ROOT, SIPWISE } from "./inputs";

/** passwd entries of the three accounts, then (after `@@shadow`) the shadow entries of root and cdrexport. */
export const READ_ACCOUNTS = [
  `getent passwd ${ROOT} ${SIPWISE} ${CDREXPORT} || true`,
  "echo '@@shadow'",
  `getent shadow ${ROOT} ${CDREXPORT} || true`,
  "",
].join("\n");

/**
 * The authorized_keys files of the three accounts, wherever their homes are (cdrexport's is in the jail):
 * both names sshd reads (see sshKeys.ts `authorizedKeysFiles`).
 */
export const AUTHORIZED_KEYS_EXPRESSION =
  `for u in ${ROOT} ${SIPWISE} ${CDREXPORT}; do h=$(getent passwd "$u" | cut -d: -f6); ` +
  'h=$(printf %s "$h" | sed "s#/*\\$##"); [ -n "$h" ] || continue; ' +
  'printf "%s\\n%s\\n" "$h/.ssh/authorized_keys" "$h/.ssh/authorized_keys2"; done';
