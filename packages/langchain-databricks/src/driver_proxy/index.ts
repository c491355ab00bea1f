/** Node-only driver-proxy app server: serve a model the way a cluster driver proxy expects. */
export {
  DEFAULT_DRIVER_PROXY_PORT,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  RECOMMENDED_DRIVER_PROXY_PORTS,
  defaultDriverProxyHost,
  driverProxyHostWarning,
  driverProxyPortWarning,
  parseDriverProxyPort,
  serveDriverProxyApp,
  type DriverProxyApp,
  type ServeDriverProxyAppOptions,
} from "./server.js";
export {
  RESERVED_CALL_OPTIONS,
  type DriverProxyModel,
  type DriverProxyModelFunction,
  type DriverProxyModelOptions,
} from "./model.js";
