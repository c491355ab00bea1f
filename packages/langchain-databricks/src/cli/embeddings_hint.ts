/**
 * `invoke` and `batch` on an embeddings endpoint: the endpoint refuses the completions body with a
 * bare 400 (`unknown field "prompt"`), which does not tell the user that `embed` is the command
 * they want. Only after such a 400 do we ask the endpoint's metadata (one GET on the failure path,
 * so successful calls pay nothing, and no guessing from the server's wording).
 */
import type { Databricks } from "langchain-databricks";
import { CliUsageError, PROGRAM } from "./errors.js";

/** The task an embeddings endpoint reports in its metadata. */
const EMBEDDINGS_TASK = "llm/v1/embeddings";

/**
 * A usage error pointing at `embed` when `error` is a 400 from `endpoint` and the endpoint's
 * metadata says it serves embeddings; otherwise undefined (the caller rethrows `error`).
 */
export async function embeddingsEndpointError(
  llm: Databricks,
  endpoint: string | undefined,
  error: unknown,
  command: string,
): Promise<CliUsageError | undefined> {
  if (endpoint === undefined || (error as { status?: unknown }).status !== 400) return undefined;
  try {
    const path = `/api/2.0/serving-endpoints/${encodeURIComponent(endpoint)}`;
    const { data } = await llm.client.requestJson<{ task?: unknown }>("GET", path, undefined);
    if (data.task !== EMBEDDINGS_TASK) return undefined;
  } catch {
    // The metadata is only a hint: when it cannot be read, the original error stands.
    return undefined;
  }
  return new CliUsageError(
    `'${endpoint}' is an embeddings endpoint (task ${EMBEDDINGS_TASK}): use '${PROGRAM} embed --endpoint ${endpoint} TEXT...' instead of '${command}'`,
    command,
  );
}
