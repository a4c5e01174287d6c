/** Per-node overrides: any part of a feature's settings, merged over the cluster's at every depth. */
import { z } from "zod";

/** Every field optional, at every depth of nested objects; lists and scalars as they are. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

function deepPartialSchema(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional) {
    return deepPartialSchema(schema.unwrap() as z.ZodType).optional();
  }
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType>;
    return z.strictObject(
      Object.fromEntries(
        Object.entries(shape).map(([key, field]) => [key, deepPartialSchema(field).optional()]),
      ),
    );
  }
  return schema;
}

/** The schema of a node's override of a feature: the feature's schema with every field optional. */
export function overrideSchema<S extends z.ZodType>(schema: S): z.ZodType<DeepPartial<z.output<S>>> {
  // Built at run time from the feature's shape; its static type is the mapped type above, which zod
  // cannot infer through the recursion.
  return deepPartialSchema(schema) as z.ZodType<DeepPartial<z.output<S>>>;
}
