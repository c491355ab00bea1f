/**
 * What agent endpoints return beside the answer (docs/PROTOCOL.md; modern-serving §5): an
 * agent's `custom_outputs`, and with `databricks_options: {return_trace: true}` the MLflow trace in
 * `databricks_output.trace` (id at `trace.info.trace_id`). An MLflow AgentServer sends the id as
 * `metadata.trace_id` or, streaming, as a final typeless `{"trace_id": …}` frame.
 */
import { isRecord, type JsonRecord } from "./values.js";

/**
 * The `response_metadata` fields an answer or stream event carries for agents: `custom_outputs`,
 * `databricks_output` (as received) and `trace_id`, each only when present.
 */
export function agentMetadata(event: JsonRecord): JsonRecord {
  const out: JsonRecord = {};
  if (event["custom_outputs"] !== undefined) out["custom_outputs"] = event["custom_outputs"];
  const output = event["databricks_output"];
  if (isRecord(output)) out["databricks_output"] = output;
  const traceId =
    stringAt(output, ["trace", "info", "trace_id"]) ??
    stringAt(event, ["metadata", "trace_id"]) ??
    stringAt(event, ["trace_id"]);
  if (traceId !== undefined) out["trace_id"] = traceId;
  return out;
}

/** Whether an event carries any field {@link agentMetadata} reads (cheap, for every stream chunk). */
export function hasAgentFields(event: JsonRecord): boolean {
  return (
    "custom_outputs" in event ||
    "databricks_output" in event ||
    "trace_id" in event ||
    "metadata" in event
  );
}

function stringAt(value: unknown, path: readonly string[]): string | undefined {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return typeof current === "string" ? current : undefined;
}
