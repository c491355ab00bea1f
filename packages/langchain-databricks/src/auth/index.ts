export type {
  CredentialsProvider,
  CredentialsRequest,
  CredentialsTransport,
} from "../credentials_provider.js";
export {
  resolveDatabricksConfig,
  SUPPORTED_AUTH_TYPES,
  UNIFIED_AUTH_DOCS_URL,
  type DatabricksAuthOptions,
  type ResolvedDatabricksConfig,
  type ResolveDeps,
} from "./resolve.js";
export {
  CustomCredentials,
  isCredentialsProvider,
  OAuthM2MCredentials,
  PatCredentials,
  toCredentialsProvider,
  type CredentialsLike,
  type HeadersAuthenticator,
  type HeadersFactory,
  type OAuthM2MCredentialsOptions,
} from "./credentials.js";
export {
  loadConfigProfile,
  parseIni,
  type ConfigProfile,
  type IniSections,
  type LoadConfigProfileOptions,
} from "./config_file.js";
export { EXPIRY_MARGIN_MS, MAX_REFRESH_LEAD_MS, TokenCache } from "./token_cache.js";
export { DatabricksCredentialsError } from "../errors.js";
