export * from "./errors";
export * from "./mysql";
export * from "./quote";
export * from "./redact";
export * from "./session";
export * from "./target";
export * from "./snapshot";
