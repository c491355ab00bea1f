/**
 * `databricks-serving-emulator`: a local Databricks Model Serving workspace for tests, demos and CI
 * (Node only, `node:http`, no dependencies). Start it with {@link startEmulator}; point clients
 * at `handle.url` with `handle.token` (or OAuth M2M with {@link DEFAULT_OAUTH_CLIENT}).
 *
 * @packageDocumentation
 */
export { startEmulator } from "./server.js";
export { EmulatorConfigError } from "./errors.js";
export { TOKEN_ENDPOINT_FAULT_KEY } from "./faults.js";
export {
  DEFAULT_EMULATOR_TOKEN,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_OAUTH_CLIENT,
  DEFAULT_WORKSPACE_ID,
  defaultEmulatorOptions,
  loadEmulatorConfig,
  mergeEmulatorOptions,
  parseDriverAppSpec,
} from "./config.js";
export { createNgramBackend } from "./backends/ngram.js";
export {
  createHashingEmbedderBackend,
  hashEmbed,
  DEFAULT_EMBEDDING_DIMENSIONS,
} from "./backends/hashing_embedder.js";
export { createEchoBackend } from "./backends/echo.js";
export { createScriptedBackend } from "./backends/scripted.js";
export {
  createOpenAIUpstreamBackend,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
} from "./backends/openai_upstream.js";
export { createFunctionBackend } from "./backends/function.js";
export { createBackend, defaultBackendSpec } from "./backends/create.js";
export { CORPUS, type CorpusEntry } from "./backends/corpus.js";
export type { Backend } from "./backends/types.js";
export type {
  BackendChoice,
  BackendMessage,
  BackendOutput,
  BackendRequest,
  BackendResult,
  BackendSpec,
  BackendTool,
  BackendToolCall,
  DriverAppConfig,
  EmulatorEndpointStats,
  EmulatorHandle,
  EmulatorOptions,
  EmulatorStats,
  EndpointConfig,
  EndpointReadyState,
  FaultSpec,
  JsonObject,
  JsonValue,
  ModelFamily,
  OAuthClientConfig,
  StrictMode,
  StreamErrorShape,
} from "./types.js";
