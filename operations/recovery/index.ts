export * from "./confirm";
export * from "./drill";
export * from "./restore";
export * from "./restoreScript";
export * from "./drillRecord";
