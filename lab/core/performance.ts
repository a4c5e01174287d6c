import type { KeyPath } from "./editions";

/**
 * Handbook table 10 (15.7) and the two settings of `ngcp-toggle-performance-config` (pure).
 */

export type ScalarValue = string | number;

export interface KeyValue {
  readonly path: KeyPath;
  readonly value: ScalarValue;
}

/** kamailio→lb→shm_mem and kamailio→proxy→shm_mem: "the installer will set this value to 1/16 of the total system RAM". */
export function shmMemForRam(memTotalMb: number): number {
  return Math.max(1, Math.floor(memTotalMb / 16));
}

/**
 * `--low-performance`: the handbook's test-system values. shm_mem 64 ("for a test environment, setting the
 * value to 64 should be enough"), 2 TCP/UDP/proxy children ("for a test system … 2 is a good value"), a
 * smaller InnoDB buffer pool, and TLS signalling off ("will prevent kamailio to spawn TLS listening workers
 * and free some RAM").
 */
export const LOW_PERFORMANCE: readonly KeyValue[] = [
  { path: ["database", "bufferpoolsize"], value: "24MB" },
  { path: ["kamailio", "lb", "shm_mem"], value: 64 },
  { path: ["kamailio", "lb", "tcp_children"], value: 2 },
  { path: ["kamailio", "lb", "udp_children"], value: 2 },
  { path: ["kamailio", "lb", "tls", "enable"], value: "no" },
  { path: ["kamailio", "proxy", "children"], value: 2 },
  { path: ["kamailio", "proxy", "shm_mem"], value: 64 },
];

/**
 * `--high-performance`: back to the installer's defaults of table 10. It leaves kamailio→lb→tls→enable as it
 * is: table 10 lists "yes" while 15.4 says SIP over TLS is "disabled by default", and turning TLS on is a
 * security decision, not a performance one.
 */
export function highPerformance(memTotalMb: number): KeyValue[] {
  const shm = shmMemForRam(memTotalMb);
  return [
    { path: ["database", "bufferpoolsize"], value: "64MB" },
    { path: ["kamailio", "lb", "shm_mem"], value: shm },
    { path: ["kamailio", "lb", "tcp_children"], value: 8 },
    { path: ["kamailio", "lb", "udp_children"], value: 8 },
    { path: ["kamailio", "proxy", "children"], value: 8 },
    { path: ["kamailio", "proxy", "shm_mem"], value: shm },
  ];
}

/** Usage text of ngcp-toggle-performance-config, as printed in handbook 15.7 (the first word is `$0`). */
export function togglePerformanceUsage(argv0: string): string {
  return (
    `${argv0} - tool to adjust sip:provider configuration for low/high performance\n` +
    "\n" +
    "  --help                Display this usage information\n" +
    "  --high-performance    Adjust configuration for system with normal/high performance\n" +
    "  --low-performance     Adjust configuration for system with low performance (e.g. VMs)\n" +
    "\n"
  );
}
