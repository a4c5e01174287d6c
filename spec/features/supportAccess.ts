/** `supportAccess` (handbook 15.1): Sipwise's SSH access on or off, on every node. Unmanaged when absent. */
import { z } from "zod";

export const supportAccessSchema = z.strictObject({
  /**
   * Whether Sipwise's operations team may log in (user sipwise, by key, from jump.sipwise.com): `false` runs
   * `ngcp-support-access --disable && apt-get install ngcp-support-noaccess`. @default required
   */
  enabled: z.boolean({
    error: (issue) =>
      issue.input === undefined
        ? "is required: true (Sipwise may log in) or false (ngcp-support-noaccess)"
        : "must be true (Sipwise may log in) or false (ngcp-support-noaccess)",
  }),
});

export type SupportAccessSettings = z.output<typeof supportAccessSchema>;
