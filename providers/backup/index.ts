export * from "./inputs";
export * from "./manifest";
export * from "./retention";
export * from "./schedule";
export * from "./script";
export * from "./status";
export * from "./tableStats";
export * from "./validate";
