import { createHash, randomBytes } from "node:crypto";
import type { ReasoningEffort } from "./family_rules.js";
import { detokenize, tokenize } from "./text.js";
import type { BackendRequest, JsonObject } from "./types.js";

/**
 * The reasoning of a family answer and its wire parts (modern-serving.md §1.2–§1.3). The text is a
 * short deterministic summary of the prompt, so answers stay reproducible; the signature is a hash
 * of the model and the text, so a client that alters or moves reasoning is visible in tests.
 */

/** One answer's reasoning. */
export interface Reasoning {
  text: string;
  /** Claude only. */
  signature?: string;
  /** Claude redacted thinking (`summary_encrypted_text.data`). */
  redactedData?: string;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(bytes: Buffer, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62[(bytes[i % bytes.length] ?? 0) % 62];
  return out;
}

/** A Bedrock-style message id, `msg_bdrk_01` + 22 characters, as in the Claude capture. */
export function bedrockMessageId(): string {
  return `msg_bdrk_01${base62(randomBytes(22), 22)}`;
}

/** A Bedrock-style tool-call id derived from the backend's id (stable for the same answer). */
export function bedrockToolCallId(id: string): string {
  return `toolu_bdrk_01${base62(createHash("sha256").update(id).digest(), 22)}`;
}

/** The deterministic summary: what was asked, and the plan (longer with a higher effort). */
export function reasoningText(request: BackendRequest, effort?: ReasoningEffort): string {
  const words = tokenize(request.prompt);
  const topic = detokenize(words.slice(0, 12)) + (words.length > 12 ? " …" : "");
  const tools = request.toolChoice === "none" ? [] : request.tools.map((t) => t.name);
  const results = toolResultsSinceLastUser(request);
  const plan =
    results.length > 0
      ? `The tool results are in (${quote(results.join(" "))}); I can answer from them now.`
      : tools.length > 0
        ? `I can use ${tools.join(", ")} if the answer needs it.`
        : "I should answer briefly and plainly.";
  const text = `The user asks: "${topic}". ${plan}`;
  if (effort === "low" || effort === "minimal") return `The user asks: "${topic}".`;
  if (effort === "high") return `${text} Let me check the answer once more before replying.`;
  return text;
}

/** The contents of the tool messages after the last user message (a tool loop's later turns). */
function toolResultsSinceLastUser(request: BackendRequest): string[] {
  const results: string[] = [];
  for (const message of request.messages) {
    if (message.role === "user") results.length = 0;
    else if (message.role === "tool") results.push(message.content.trim());
  }
  return results;
}

/** At most 60 characters of a tool result, for the reasoning summary. */
function quote(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** A signature-like opaque string bound to the provider model and the reasoning text. */
export function signatureFor(model: string, text: string): string {
  return `Er${createHash("sha512").update(`${model}\n${text}`).digest("base64")}`;
}

/** Opaque redacted-thinking data, bound like the signature. */
function redactedDataFor(model: string, text: string): string {
  const digest = createHash("sha256").update(`redacted\n${model}\n${text}`).digest("base64");
  return `EmwKAhgB${digest}`;
}

/** Build the reasoning of one request for a family endpoint. */
export function makeReasoning(
  request: BackendRequest,
  options: { signedBy?: string; redacted: boolean; effort?: ReasoningEffort },
): Reasoning {
  const text = reasoningText(request, options.effort);
  if (options.signedBy === undefined) return { text };
  return {
    text,
    signature: signatureFor(options.signedBy, text),
    ...(options.redacted ? { redactedData: redactedDataFor(options.signedBy, text) } : {}),
  };
}

/** A `{"type":"reasoning","summary":[…]}` part with one `summary_text`. */
export function summaryPart(text: string, signature?: string): JsonObject {
  const item: JsonObject = { type: "summary_text", text };
  if (signature !== undefined) item["signature"] = signature;
  return { type: "reasoning", summary: [item] };
}

/** A redacted-thinking part (`summary_encrypted_text`). */
export function encryptedPart(data: string): JsonObject {
  return { type: "reasoning", summary: [{ type: "summary_encrypted_text", data }] };
}

/** The non-streaming `message.content` list: reasoning parts, then the text part if any. */
export function contentParts(reasoning: Reasoning, text: string | null): JsonObject[] {
  const parts = [summaryPart(reasoning.text, reasoning.signature)];
  if (reasoning.redactedData !== undefined) parts.push(encryptedPart(reasoning.redactedData));
  if (text !== null && text !== "") parts.push({ type: "text", text });
  return parts;
}
