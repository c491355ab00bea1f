import { createHash } from "node:crypto";
import type { EndpointEntry } from "./endpoints.js";
import { isJsonObject } from "./json.js";
import { countTokens } from "./text.js";
import type { JsonObject, JsonValue } from "./types.js";

/**
 * Claude prompt caching on a `claude` endpoint (modern-serving.md §1.4, Q18): a content part with
 * `cache_control: {"type": "ephemeral"}` marks the prompt up to it as a cache breakpoint. The first
 * request with a prefix writes it (`cache_creation_input_tokens`), later ones read it
 * (`cache_read_input_tokens`). Whether `prompt_tokens` includes these tokens is disputed (§10.1):
 * the endpoint's `cacheTokensInPrompt` decides.
 */

/** The cache part of one request's usage. */
interface CacheUse {
  read: number;
  created5m: number;
  created1h: number;
}

/** The text of the prompt up to its last `cache_control` part, and that part's TTL. */
function cachedPrefix(messages: JsonValue | undefined): { text: string; ttl: string } | undefined {
  if (!Array.isArray(messages)) return undefined;
  let text = "";
  let marked: { text: string; ttl: string } | undefined;
  for (const message of messages) {
    const content = isJsonObject(message) ? message["content"] : undefined;
    const parts = Array.isArray(content) ? content : [content ?? ""];
    for (const part of parts) {
      if (typeof part === "string") text += `${part}\n`;
      else if (isJsonObject(part)) {
        if (typeof part["text"] === "string") text += `${part["text"]}\n`;
        const control = part["cache_control"];
        if (isJsonObject(control)) marked = { text, ttl: control["ttl"] === "1h" ? "1h" : "5m" };
      }
    }
  }
  return marked;
}

/** Look the request's prefix up in the endpoint's cache (adding it on a miss). */
function useCache(entry: EndpointEntry, body: JsonObject): CacheUse | undefined {
  const prefix = cachedPrefix(body["messages"]);
  if (prefix === undefined) return undefined;
  const key = createHash("sha256").update(prefix.text).digest("hex");
  const tokens = countTokens(prefix.text);
  if (entry.promptCache.has(key)) return { read: tokens, created5m: 0, created1h: 0 };
  entry.promptCache.add(key);
  return prefix.ttl === "1h"
    ? { read: 0, created5m: 0, created1h: tokens }
    : { read: 0, created5m: tokens, created1h: 0 };
}

/**
 * Add the Q18 fields to a chat usage object when the request marks a cache breakpoint; with
 * `cacheTokensInPrompt: false` the cached tokens are taken out of `prompt_tokens` (and the total).
 */
export function addCacheUsage(entry: EndpointEntry, body: JsonObject, totals: JsonObject): void {
  const use = useCache(entry, body);
  if (use === undefined) return;
  const created = use.created5m + use.created1h;
  if (entry.config.cacheTokensInPrompt === false) {
    const cached = Math.min(Number(totals["prompt_tokens"]), use.read + created);
    totals["prompt_tokens"] = Number(totals["prompt_tokens"]) - cached;
    totals["total_tokens"] = Number(totals["total_tokens"]) - cached;
  }
  totals["cache_read_input_tokens"] = use.read;
  totals["cache_creation_input_tokens"] = created;
  totals["cache_creation"] = {
    ephemeral_5m_input_tokens: use.created5m,
    ephemeral_1h_input_tokens: use.created1h,
  };
}
