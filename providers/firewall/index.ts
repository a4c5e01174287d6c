/** The pure core of the Firewall resource (handbook 15.2); see README.md for the layout and the protocol. */
export * from "./inputs";
export { parseAddress, parseNetwork, type Network, type NetworkParse } from "./address";
export {
  CHAINS,
  CHAIN_PREFIX,
  evaluateProbe,
  formatPortRange,
  rtpengineArgs,
  type DesiredRuleset,
  type FamilyRuleset,
  type PlannedChain,
  type PlannedRule,
  type Probe,
  type ProbeVerdict,
  type Rule,
  type RuleMatch,
} from "./model";
export { validateFirewall, type CheckFailure } from "./validate";
export { FirewallInputError, planFirewall } from "./planner";
export {
  COMMENT_PREFIX,
  SaveParseError,
  findChain,
  findTable,
  formatArgs,
  inputPolicy,
  parseSave,
  sameArgs,
  splitWords,
  targetOf,
  type LiveChain,
  type LiveRule,
  type LiveRuleset,
  type LiveTable,
} from "./save";
export {
  planInputFixups,
  renderPersistence,
  renderRemoval,
  renderRestore,
  renderRestoreFrom,
  staleChains,
  type InputFixups,
} from "./render";
export {
  describeRule,
  diffFirewall,
  diffRules,
  isInSync,
  type FirewallDiff,
  type RuleChange,
  type RuleDiff,
} from "./diff";
export {
  DEFAULT_ROLLBACK_DIR,
  renderConfirm,
  renderRollbackNow,
  renderRollbackScript,
  rollbackLaunchArgv,
  rollbackPaths,
  rollbackSnapshot,
  type RollbackOptions,
  type RollbackPaths,
} from "./rollback";
