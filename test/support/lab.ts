import { labDown, labStatus, labUp, type LabStatus } from "../../lab";
import type { Edition } from "../../lab";

/**
 * The lab for tests: brought up once per test process, shared by every test file, and taken down at the
 * end only when this process brought it up. A lab someone left running (a developer's, another test run's)
 * is used as it is and left running. Set NGCP_FLEET_LAB_KEEP=1 to keep a lab this process started.
 */

let startedHere = false;
let releaseRegistered = false;

export interface EnsureLabOptions {
  /** @default "001" */
  readonly edition?: Edition;
}

/**
 * A running lab with at least `nodes` nodes (ngcp1..ngcpN). A lab that has them is used as it is, even when
 * a node looks unhealthy for a moment: another test file may be restarting that node's services, and
 * `labUp` would replace the node under it. Only a lab that lacks nodes is brought up or grown.
 */
export async function ensureLab(nodes: number, opts: EnsureLabOptions = {}): Promise<LabStatus> {
  const edition = opts.edition ?? "001";
  const now = labStatus();
  if (now.nodes.length >= nodes && now.edition === edition) {
    return now;
  }
  if (now.nodes.length > 0 && now.edition !== edition) {
    if (!startedHere) {
      throw new Error(
        `a lab of edition ${now.edition} is running (not started by this test run); a test needs edition ${edition}`,
      );
    }
    await labDown();
  }
  const wasEmpty = labStatus().nodes.length === 0;
  // Never shrink a lab others may use: grow it to what this test needs.
  const r = await labUp({ nodes: Math.max(nodes, now.edition === edition ? now.nodes.length : 0), edition });
  startedHere = startedHere || wasEmpty;
  return r.status;
}

/** Takes the lab down if this process brought it up (registered as a root `after` hook below). */
export async function releaseLab(): Promise<void> {
  if (startedHere && process.env.NGCP_FLEET_LAB_KEEP !== "1") {
    startedHere = false;
    await labDown();
  }
}

// Loaded while mocha reads the test files, so `after` here is a root-level hook: it runs once, after
// every test of every file.
if (!releaseRegistered && typeof after === "function") {
  releaseRegistered = true;
  after(async function () {
    this.timeout(120_000);
    await releaseLab();
  });
}
