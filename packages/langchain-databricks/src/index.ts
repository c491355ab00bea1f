export { Databricks } from "./llms.js";
export type {
  DatabricksCallOptions,
  DatabricksInput,
  DatabricksOwnOptions,
  DatabricksRequest,
  TransformInputFn,
  TransformOutputFn,
} from "./llms.js";
export { ChatDatabricks } from "./chat_models.js";
export type {
  ChatDatabricksCallOptions,
  ChatDatabricksInput,
  ChatDatabricksOwnOptions,
} from "./chat_models.js";
export { guessModelFamily } from "./model_family.js";
export type { ModelFamily } from "./model_family.js";
export { DatabricksEmbeddings, parseEmbeddingsResponse } from "./embeddings.js";
export type {
  DatabricksEmbeddingsInput,
  DatabricksEmbeddingsInputFormat,
  DatabricksEmbeddingsOwnOptions,
} from "./embeddings.js";
export * from "./errors.js";
export { errorCodeForStatus, parseErrorBody } from "./transport/error_body.js";
export { redactSecrets } from "./redaction.js";
export type { DatabricksConnectionOptions } from "./options.js";
export type {
  DatabricksChatModelOptions,
  DatabricksAgentOptions,
  DatabricksChoiceOptions,
  DatabricksEndpointOptions,
  DatabricksGatewayOptions,
  DatabricksGenerationCallOptions,
  DatabricksGenerationOptions,
  DatabricksLanguageModelOptions,
  DatabricksModelOptions,
  DatabricksModelProfile,
  DatabricksResponsesOptions,
} from "./types.js";
export type {
  CredentialsProvider,
  CredentialsRequest,
  CredentialsTransport,
} from "./credentials_provider.js";
export type { CredentialsLike, DatabricksAuthOptions } from "./auth/resolve.js";
