export { Databricks } from "./llms.js";
export type {
  DatabricksCallOptions,
  DatabricksInput,
  DatabricksRequest,
  TransformInputFn,
  TransformOutputFn,
} from "./llms.js";
export * from "./errors.js";
export type { DatabricksConnectionOptions } from "./options.js";
export type { CredentialsProvider } from "./auth/types.js";
export type { CredentialsLike, DatabricksAuthOptions } from "./auth/resolve.js";
