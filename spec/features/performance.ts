/**
 * `performance` (handbook 15.7, table 10): the tunables of a node, a named profile, or sizing from load and
 * RAM. Unmanaged when absent: a key left out keeps the node's value.
 */
import { z } from "zod";

/** `ngcp-toggle-performance-config --high-performance` / `--low-performance`. */
export const PERFORMANCE_PROFILE_NAMES = ["high", "low"] as const;
/** rsyslog's levels for `rsyslog.external_loglevel`. */
export const EXTERNAL_LOG_LEVELS = [
  "emerg",
  "alert",
  "crit",
  "err",
  "warning",
  "notice",
  "info",
  "debug",
] as const;

const whole = () => z.number().int();

export const performanceSchema = z.strictObject({
  /** `high` or `low`, as ngcp-toggle-performance-config sets them. @default none */
  profile: z.enum(PERFORMANCE_PROFILE_NAMES).optional(),
  /** shm_mem and natping_processes from the load and the RAM. @default none */
  sizing: z
    .strictObject({
      /** Subscribers served: warnings on shm_mem. @default none */
      subscribers: whole().optional(),
      /** NATed subscribers: natping_processes = ceil(nated / interval / 250). @default none */
      natedSubscribers: whole().optional(),
      /** RAM to size from, MB. @default the node's MemTotal */
      ramMb: whole().optional(),
      /** NAT pings one process sends per second. @default 250 */
      pingsPerSecondPerProcess: z.number().optional(),
    })
    .optional(),
  /** Table-10 keys another resource owns. @default [] */
  excludeKeys: z.array(z.string()).optional(),
  /** Fail instead of warn when / is not mounted noatime (15.7 note). @default false */
  enforceNoatime: z.boolean().optional(),
  /** cleanuptools.binlog_days. @default 15 */
  binlogDays: whole().optional(),
  /** database.bufferpoolsize, e.g. `64MB`. @default 64MB */
  bufferPoolSize: z.string().optional(),
  /** kamailio.lb.pkg_mem. @default 16 */
  lbPkgMem: whole().optional(),
  /** kamailio.lb.shm_mem. @default RAM/16 */
  lbShmMem: whole().optional(),
  /** kamailio.lb.tcp_children. @default 8 */
  lbTcpChildren: whole().optional(),
  /** kamailio.lb.tls.enable. @default yes (tls.sipTls owns it when managed) */
  lbTlsEnable: z.boolean().optional(),
  /** kamailio.lb.udp_children. @default 8 */
  lbUdpChildren: whole().optional(),
  /** kamailio.proxy.children. @default 8 */
  proxyChildren: whole().optional(),
  /** kamailio.proxy.default_expires. @default the node's value */
  proxyDefaultExpires: whole().optional(),
  /** kamailio.proxy.min_expires. @default the node's value */
  proxyMinExpires: whole().optional(),
  /** kamailio.proxy.max_expires. @default the node's value */
  proxyMaxExpires: whole().optional(),
  /** kamailio.proxy.natping_interval. @default 30 */
  natpingInterval: whole().optional(),
  /** kamailio.proxy.natping_processes (1..7: kamailio does not start above 7). @default 7 */
  natpingProcesses: whole().optional(),
  /** kamailio.proxy.shm_mem. @default RAM/16 */
  proxyShmMem: whole().optional(),
  /** rateomat.enable. @default yes */
  rateomatEnable: z.boolean().optional(),
  /** rsyslog.external_log. @default 0 (off) */
  externalLog: z.boolean().optional(),
  /** rsyslog.external_loglevel. @default the node's value */
  externalLogLevel: z.enum(EXTERNAL_LOG_LEVELS).optional(),
  /** rsyslog.external_address. @default the node's value */
  externalAddress: z.string().optional(),
  /** rsyslog.ngcp_logs_preserve_days. @default 93 */
  logsPreserveDays: whole().optional(),
});

export type PerformanceSettings = z.output<typeof performanceSchema>;
