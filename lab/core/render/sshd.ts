/** Paths inside a node that the sshd configuration names. */
export const SSHD_HOST_KEY = "/etc/ssh/ssh_host_ed25519_key";
export const SSHD_LOG = "/var/log/sshd.log";
export const COMMAND_LOGGER = "/usr/local/sbin/ngcp-lab-command-logger";
export const COMMANDS_LOG = "/var/log/ngcp-lab/commands.log";
export const SFTP_SERVER = "/usr/lib/openssh/sftp-server";

/**
 * /etc/ssh/sshd_config of a lab node (pure).
 *
 * - Key authentication only, as on a hardened CE: root may log in with a key, never with a password (the
 *   VM image's root password `sipwise` exists, so a password login would otherwise work).
 * - One ed25519 host key, generated per node at its first `lab up` and kept, so stacks can pin it.
 * - LogLevel VERBOSE to the node's /var/log/sshd.log (sshd runs with `-E`): every connection and accepted
 *   key is logged by sshd itself, which is what benchmarks count.
 * - ForceCommand runs a small logger that records the requested command line before running it (the
 *   secrets-leak test reads that log). sftp is an external subsystem (`sftp-server`, not `internal-sftp`):
 *   under ForceCommand the subsystem arrives as $SSH_ORIGINAL_COMMAND and must be a real program.
 * - MaxSessions stays at OpenSSH's default of 10, as on a real node: a pooled connection cannot run more
 *   than 10 channels at once.
 */
export function renderSshdConfig(): string {
  return (
    [
      "# sshd_config of an ngcp-fleet lab node (see lab/README.md)",
      "Port 22",
      "AddressFamily any",
      "ListenAddress 0.0.0.0",
      "ListenAddress ::",
      `HostKey ${SSHD_HOST_KEY}`,
      "PidFile /run/sshd.pid",
      "LogLevel VERBOSE",
      "SyslogFacility AUTH",
      "",
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "AuthorizedKeysFile .ssh/authorized_keys",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitEmptyPasswords no",
      "HostbasedAuthentication no",
      "UsePAM yes",
      "StrictModes yes",
      "",
      "AllowTcpForwarding yes",
      "X11Forwarding no",
      "PrintMotd no",
      "UseDNS no",
      "AcceptEnv LANG LC_*",
      "",
      `Subsystem sftp ${SFTP_SERVER}`,
      `ForceCommand ${COMMAND_LOGGER}`,
    ].join("\n") + "\n"
  );
}

/**
 * The ForceCommand wrapper (bash, pure text). It appends one record per command to commands.log and then
 * runs the command with the user's shell, as sshd itself would have; a login without a command gets a login
 * shell. A record is a header line followed by the command's exact bytes, so a multi-line command or one
 * with special characters is kept verbatim (a leak test must find a secret byte for byte):
 *
 *     @ngcp-lab-cmd <epoch seconds.micro> user=<user> client=<address> bytes=<n>\n<n bytes of command>\n
 *
 * Logging never stops the command: if the log cannot be written, the command runs anyway.
 */
export function renderCommandLogger(): string {
  return `#!/bin/bash
# ngcp-fleet lab: sshd ForceCommand wrapper. Records the command line sshd was asked to run, then runs it.
# Record format (parse with lab/core/commandLog.ts):
#   @ngcp-lab-cmd <epoch seconds.microseconds> user=<user> client=<address> bytes=<n>
#   <exactly n bytes: the command>
if [ -n "\${SSH_ORIGINAL_COMMAND:-}" ]; then
  cmd="$SSH_ORIGINAL_COMMAND"
  unset SSH_ORIGINAL_COMMAND
  # Byte length, not character length: switch to the C locale only for the measurement.
  if [ -n "\${LC_ALL+x}" ]; then saved_lc_all="$LC_ALL"; LC_ALL=C; n=\${#cmd}; LC_ALL="$saved_lc_all"
  else LC_ALL=C; n=\${#cmd}; unset LC_ALL; fi
  # flock: concurrent sessions of one pooled connection must not interleave records.
  {
    flock 9
    printf '@ngcp-lab-cmd %s user=%s client=%s bytes=%d\\n%s\\n' \\
      "$EPOCHREALTIME" "$USER" "\${SSH_CLIENT%% *}" "$n" "$cmd" >&9
  } 2>/dev/null 9>>${COMMANDS_LOG}
  exec "\${SHELL:-/bin/sh}" -c "$cmd"
fi
# No command: an interactive login shell, as sshd starts it.
exec -a "-\${SHELL##*/}" "\${SHELL:-/bin/sh}"
`;
}
