import type { RevokedCredentials } from "./auth.js";
import type { EndpointEntry } from "./endpoints.js";
import type { FaultTable } from "./faults.js";
import type { TokenStore } from "./oauth.js";
import type { StatsTable } from "./stats.js";
import type { DriverAppConfig, OAuthClientConfig } from "./types.js";

/** Everything the route handlers share about one running emulator. */
export interface EmulatorState {
  /** Base URL (`http://127.0.0.1:PORT`), known once listening. */
  base: string;
  workspaceId: string;
  pats: readonly string[];
  oauthClients: readonly OAuthClientConfig[];
  tokens: TokenStore;
  /** Credentials revoked at run time (`EmulatorHandle.revokeToken`). */
  revoked: RevokedCredentials;
  endpoints: Map<string, EndpointEntry>;
  /** Keyed by `clusterId:port`. */
  driverApps: Map<string, DriverAppConfig>;
  faults: FaultTable;
  stats: StatsTable;
  startedAt: number;
}
