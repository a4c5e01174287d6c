import * as pulumi from "@pulumi/pulumi";
import { pathToFileURL } from "node:url";

/** A stack frame as the SDK records it: `at fn (file:line:column)`. */
const FRAME = /^\s*at .* \((?<file>.*):(?<line>[0-9]+):(?<column>[0-9]+)\)$/;

/**
 * Makes every resource record only its source position, not the whole call stack, in the state.
 *
 * The SDK stores with each resource the JavaScript stack of its registration, every frame down to the
 * program's entry (about 700 bytes a resource here, 8.5 KB a node), and captures it with an unbounded
 * `Error.stackTraceLimit`, each frame mapped through the source maps (half a second of a 10-node program).
 * The file backend rewrites the whole state at each step, so the weight is paid once per step and per
 * resource. The first frame, the resource's position in the program, stays: it is what error messages and
 * tools point at. This replaces the SDK's (private) `Resource.stackTrace(skip)` with one that captures the
 * frames up to that position only; without it, nothing is changed.
 */
export function keepSourcePositionsOnly(): void {
  if (typeof Reflect.get(pulumi.Resource, "stackTrace") !== "function") {
    return;
  }
  Object.defineProperty(pulumi.Resource, "stackTrace", {
    configurable: true,
    writable: true,
    // `skip` counts the SDK's frames above the resource's position: its `callsites`, `stackTrace` and the
    // base constructors. This function stands for the first two, so the position is frame `skip - 1`.
    value: (skip: number): { uri: string; line: number; column: number }[] => {
      const limit = Error.stackTraceLimit;
      let stack: string | undefined;
      try {
        Error.stackTraceLimit = skip;
        stack = new Error().stack;
      } finally {
        Error.stackTraceLimit = limit;
      }
      const frame = stack?.split("\n").slice(1)[skip - 1];
      const groups = frame === undefined ? undefined : FRAME.exec(frame)?.groups;
      if (groups === undefined || groups.file.startsWith("node:")) {
        return [];
      }
      return [
        {
          uri: pathToFileURL(groups.file).toString(),
          line: Number(groups.line),
          column: Number(groups.column),
        },
      ];
    },
  });
}
