import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";

import type { NodeTarget } from "../transport/target";
import type { Family, HandbookEdition, Policy } from "./inputs";
import type { RuleMap } from "./lines";
import { type ApplyReport, type FirewallDrift } from "./provider";
import type { ConfigScalar, FirewallSettings, ResolvedFirewall } from "./settings";

export interface FirewallArgs {
  /** How to reach the node. */
  readonly target: pulumi.Input<NodeTarget>;
  /**
   * The `firewall` stack key of this node (cluster-wide object with the node's overrides on top):
   * sources, extra rules, policy, the RTPENGINE rule, rollback seconds (see {@link FirewallSettings}).
   * `adminSources` is the node's resolved value (spec/resolve.ts). Decoded by the spec's schema in `check`.
   * @default {} (every default of handbook 15.2)
   */
  readonly firewall: pulumi.Input<FirewallSettings>;
  /**
   * The node's applied config.yml values of the firewall's keys (NgcpConfig's `effective`, with
   * `FIREWALL_WATCH_KEYS` among its `watchKeys`): the ports and switches of tables 8 and 9. A port changed
   * in config.yml moves its rule in the same `up`.
   */
  readonly effective: pulumi.Input<Record<string, ConfigScalar>>;
  /** Handbook edition of the node's config.yml ("current" = seed 001, "older" = seed 000). @default detected from the keys present */
  readonly edition?: pulumi.Input<HandbookEdition>;
}

/**
 * Handbook 15.2 on one node: IPv4 and IPv6 INPUT filtering for every service of tables 8 and 9, the
 * RTPENGINE rule kept in place, other tools' chains untouched, a lockout-safe apply that the node rolls
 * back by itself, and boot files in /etc/iptables. Create it after the node's NgcpConfig (its ports come
 * from the applied config).
 */
export class Firewall extends pulumi.dynamic.Resource {
  /** The node's rules, one entry per rule (`v4 NGCP-FLEET-ADMIN -s … --dport 22 -j ACCEPT` → `ssh`). */
  declare readonly rules: pulumi.Output<RuleMap>;
  /** Rules in both families: ngcp-fleet's chains, the jump and the RTPENGINE rule. */
  declare readonly ruleCount: pulumi.Output<number>;
  /** What the last refresh found changed on the node (RTPENGINE rule or jump flushed, rules edited). */
  declare readonly drift: pulumi.Output<FirewallDrift>;
  /** Everything the rules were planned from: ports per config key, sources, options. */
  declare readonly resolved: pulumi.Output<ResolvedFirewall>;
  /** INPUT policies before ngcp-fleet first changed the node; destroy puts them back. */
  declare readonly originalPolicy: pulumi.Output<Record<Family, Policy>>;
  /** The deployer's address as the node sees it. */
  declare readonly deployerAddress: pulumi.Output<string | null>;
  /** Duration, SSH commands and connections of the last create or update. */
  declare readonly lastApply: pulumi.Output<ApplyReport | null>;

  constructor(name: string, args: FirewallArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("firewall"),
      name,
      {
        ...args,
        resolved: undefined,
        rules: undefined,
        rulesOrder: undefined,
        ruleCount: undefined,
        drift: undefined,
        originalPolicy: undefined,
        deployerAddress: undefined,
        lastApply: undefined,
      },
      opts,
      "ngcp-fleet",
      "Firewall",
    );
  }
}
