import type {
  BackendChoice,
  BackendMessage,
  BackendOutput,
  BackendRequest,
  BackendTool,
} from "../types.js";
import { detokenize, tokenize } from "../text.js";
import { CORPUS, type CorpusEntry } from "./corpus.js";
import { createRandom, fnv1a } from "./prng.js";
import { valueForSchema, type SchemaValueSource } from "./schema_values.js";
import type { Backend } from "./types.js";

/**
 * `ngram` backend: a word-level trigram language model (with bigram backoff) trained on the
 * bundled CC0 corpus (`corpus.ts`) plus any extra text from the spec. It is a toy that produces
 * short, friendly English, not a real model; what it guarantees is determinism:
 *
 * - The prompt picks a guide answer from the corpus by cue-word overlap (so "How are you?" tends
 *   to answer "I am fine. ..."); generation then walks the trigram graph with the guide's own
 *   transitions boosted, so the answer loosely follows the prompt but can mix corpus sentences.
 * - `temperature` 0 decodes greedily; above 0 it samples `count^(1/temperature)` with a PRNG
 *   seeded by the prompt/messages, the spec `seed` and the request `seed`. Same request → same
 *   answer, on every machine.
 * - Generation ends at the end of the guide's last sentence or after `max_tokens` emulator
 *   tokens (a word or punctuation mark); `stop` is applied afterwards by the task layer.
 * - `n` > 1 gives distinct choices where the corpus allows (later choices start from lower-ranked
 *   guides).
 * - Tools: `tool_choice` "required" or a named function always yields a tool call; "auto" calls a
 *   tool when the last user message mentions a significant word of the tool's name. Arguments fill
 *   every property of the tool's JSON schema with plausible values taken from the prompt. After a
 *   `tool` message (and unless forced) it answers in text quoting the tool result.
 * - `response_format` json_object → `{"answer": text}`; json_schema → a value satisfying the schema.
 */
export function createNgramBackend(spec: { seed?: number; corpus?: string }): Backend {
  const model = getModel(spec.corpus);
  const specSeed = spec.seed ?? 0;
  return {
    type: "ngram",
    generate: (request) => Promise.resolve(model.respond(request, specSeed)),
  };
}

const BOS = "\u0002";
const EOS = "\u0003";
const MAX_SENTENCE_TOKENS = 40;
const STOPWORDS = new Set(
  "a an the is of to and in on at for it be or as by with this that i me my".split(" "),
);

interface Guide {
  cue: Set<string>;
  sentences: string[][];
}

function sentencesOf(text: string): string[][] {
  const raw = text.match(/[^.!?]+[.!?]+|[^.!?]+$/g) ?? [];
  return raw.map((s) => tokenize(s)).filter((t) => t.length > 0);
}

function words(text: string): string[] {
  return tokenize(text.toLowerCase()).filter((t) => /[\p{L}\p{N}]/u.test(t));
}

class NgramModel {
  private readonly trigrams = new Map<string, Map<string, number>>();
  private readonly bigrams = new Map<string, Map<string, number>>();
  private readonly guides: Guide[] = [];
  private readonly idf = new Map<string, number>();

  constructor(entries: readonly CorpusEntry[]) {
    for (const entry of entries) {
      const sentences = sentencesOf(entry.answer);
      if (sentences.length === 0) continue;
      this.guides.push({ cue: new Set(words(entry.cue)), sentences });
      for (const sentence of sentences) this.train(sentence);
    }
    const df = new Map<string, number>();
    for (const guide of this.guides) for (const w of guide.cue) df.set(w, (df.get(w) ?? 0) + 1);
    for (const [w, count] of df) this.idf.set(w, Math.log(1 + this.guides.length / count));
  }

  private train(sentence: string[]): void {
    const seq = [BOS, BOS, ...sentence, EOS];
    for (let i = 2; i < seq.length; i++) {
      bump(this.trigrams, `${seq[i - 2]} ${seq[i - 1]}`, seq[i] ?? EOS);
      bump(this.bigrams, seq[i - 1] ?? BOS, seq[i] ?? EOS);
    }
  }

  /** Guides ranked by idf-weighted cue overlap with the prompt (ties: corpus order). */
  private rank(prompt: string, seed: number): { guide: Guide; score: number }[] {
    const promptWords = new Set(words(prompt).filter((w) => !STOPWORDS.has(w)));
    const scored = this.guides.map((guide, index) => {
      let score = 0;
      for (const w of guide.cue) if (promptWords.has(w)) score += this.idf.get(w) ?? 0;
      return { guide, index, score: score / Math.sqrt(guide.cue.size || 1) };
    });
    // With no overlap at all, rotate by the seed so unrelated prompts still vary.
    const rotate = seed % this.guides.length;
    scored.sort(
      (a, b) =>
        b.score - a.score ||
        ((a.index - rotate + this.guides.length) % this.guides.length) -
          ((b.index - rotate + this.guides.length) % this.guides.length),
    );
    return scored;
  }

  private generateText(guide: Guide, random: () => number, temperature: number, maxTokens: number) {
    const out: string[] = [];
    for (const target of guide.sentences) {
      const boosted = new Set<string>();
      const seq = [BOS, BOS, ...target, EOS];
      for (let i = 2; i < seq.length; i++) boosted.add(`${seq[i - 2]} ${seq[i - 1]} ${seq[i]}`);
      // Each sentence opens with the guide's first word, so answers start on topic.
      let a = BOS;
      let b = target[0] ?? BOS;
      if (out.length >= maxTokens) return { tokens: out, truncated: true };
      out.push(b);
      for (let step = 1; step < MAX_SENTENCE_TOKENS; step++) {
        if (out.length >= maxTokens) return { tokens: out, truncated: true };
        const next = this.next(a, b, boosted, random, temperature);
        if (next === EOS) break;
        out.push(next);
        a = b;
        b = next;
      }
    }
    return { tokens: out, truncated: false };
  }

  private next(
    a: string,
    b: string,
    boosted: Set<string>,
    random: () => number,
    temperature: number,
  ): string {
    const options = this.trigrams.get(`${a} ${b}`) ?? this.bigrams.get(b);
    if (options === undefined || options.size === 0) return EOS;
    // The guide's own transition gets a bonus of twice the whole context's mass, so at
    // temperature 1 it wins at least two times in three and greedy decoding always follows it.
    let mass = 0;
    for (const count of options.values()) mass += count;
    const candidates: [string, number][] = [];
    for (const [token, count] of options) {
      candidates.push([token, count + (boosted.has(`${a} ${b} ${token}`) ? 2 * mass : 0)]);
    }
    if (temperature <= 0) {
      let best = candidates[0] ?? [EOS, 0];
      for (const c of candidates) if (c[1] > best[1]) best = c;
      return best[0];
    }
    const weights = candidates.map(([, w]) => Math.pow(w, 1 / temperature));
    const total = weights.reduce((s, w) => s + w, 0);
    let r = random() * total;
    for (let i = 0; i < candidates.length; i++) {
      r -= weights[i] ?? 0;
      if (r < 0) return candidates[i]?.[0] ?? EOS;
    }
    return candidates[candidates.length - 1]?.[0] ?? EOS;
  }

  respond(request: BackendRequest, specSeed: number): BackendOutput {
    const transcript =
      request.kind === "chat"
        ? request.messages.map((m) => `${m.role}:${m.content}`).join("\n")
        : request.prompt;
    const seed = fnv1a(transcript, fnv1a(`${specSeed}:${request.seed ?? 0}`));
    const temperature = request.temperature ?? 1;
    const maxTokens = request.maxTokens ?? Number.POSITIVE_INFINITY;
    const ranked = this.rank(request.prompt, seed);
    // Sampling may start from any guide scoring close to the best one (at most three).
    const top = ranked[0]?.score ?? 0;
    const pool = Math.max(
      1,
      ranked.slice(0, 3).filter((r) => top > 0 && r.score >= top * 0.75).length,
    );
    const choices: BackendChoice[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < request.n; i++) {
      const random = createRandom(seed + i * 0x9e3779b9);
      let text = "";
      let truncated = false;
      for (let attempt = 0; attempt < 6; attempt++) {
        const offset = temperature <= 0 ? 0 : Math.floor(random() * pool);
        const guide = ranked[(i + attempt + offset) % ranked.length]?.guide;
        if (guide === undefined) break;
        const result = this.generateText(guide, random, temperature, maxTokens);
        text = detokenize(result.tokens);
        truncated = result.truncated;
        if (!seen.has(text)) break;
      }
      seen.add(text);
      choices.push(this.shape(request, text, truncated, seed + i));
    }
    return { choices };
  }

  /** Turn generated text into the requested shape: tool call, JSON or plain text. */
  private shape(
    request: BackendRequest,
    text: string,
    truncated: boolean,
    seed: number,
  ): BackendChoice {
    const tool = pickTool(request);
    const source = valueSource(request.prompt, text);
    if (tool !== undefined) {
      const args = valueForSchema(tool.parameters ?? { type: "object" }, source);
      return {
        toolCalls: [
          {
            id: `call_${seed.toString(16).padStart(8, "0")}`,
            name: tool.name,
            arguments: JSON.stringify(args),
          },
        ],
        finishReason: "tool_calls",
      };
    }
    const last = request.messages[request.messages.length - 1];
    if (last?.role === "tool" && request.toolChoice !== undefined) {
      return { text: `Here is what I found: ${last.content.trim()}`, finishReason: "stop" };
    }
    const format = request.responseFormat;
    if (format?.type === "json_object")
      return { text: JSON.stringify({ answer: text }), finishReason: "stop" };
    if (format?.type === "json_schema") {
      return { text: JSON.stringify(valueForSchema(format.schema, source)), finishReason: "stop" };
    }
    return { text, finishReason: truncated ? "length" : "stop" };
  }
}

function bump(table: Map<string, Map<string, number>>, key: string, token: string): void {
  let row = table.get(key);
  if (row === undefined) table.set(key, (row = new Map()));
  row.set(token, (row.get(token) ?? 0) + 1);
}

const GENERIC_NAME_PARTS = new Set(
  "get set do make run call fetch find list tool the a an of to by for with and".split(" "),
);

function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((p) => p.length >= 3 && !GENERIC_NAME_PARTS.has(p));
}

function mentions(promptWords: Set<string>, part: string): boolean {
  if (promptWords.has(part)) return true;
  for (const w of promptWords) {
    if (w.length >= 4 && part.length >= 4 && (w.startsWith(part) || part.startsWith(w)))
      return true;
  }
  return false;
}

function lastMessage(messages: BackendMessage[]): BackendMessage | undefined {
  return messages[messages.length - 1];
}

/** The tool to call for this request, if any (see the backend TSDoc for the rules). */
function pickTool(request: BackendRequest): BackendTool | undefined {
  const choice = request.toolChoice;
  if (request.tools.length === 0 || choice === undefined || choice === "none") return undefined;
  if (typeof choice === "object") return request.tools.find((t) => t.name === choice.name);
  const promptWords = new Set(words(request.prompt));
  const score = (tool: BackendTool) =>
    nameParts(tool.name).filter((p) => mentions(promptWords, p)).length;
  let best = request.tools[0];
  let bestScore = best === undefined ? 0 : score(best);
  for (const tool of request.tools) {
    const s = score(tool);
    if (s > bestScore) [best, bestScore] = [tool, s];
  }
  if (choice === "required") return best;
  const last = lastMessage(request.messages);
  if (request.kind === "chat" && last?.role !== "user") return undefined;
  return bestScore > 0 ? best : undefined;
}

/** Plausible strings for schema properties, drawn from the prompt and the generated text. */
function valueSource(prompt: string, generated: string): SchemaValueSource {
  const tokens = tokenize(prompt);
  const proper = tokens.filter(
    (t, i) => i > 0 && /^\p{Lu}[\p{L}-]+$/u.test(t) && !/^[.!?]$/.test(tokens[i - 1] ?? "."),
  );
  const content = words(prompt).filter((w) => !STOPWORDS.has(w) && w.length > 2);
  const longest = content.toSorted((a, b) => b.length - a.length)[0];
  const compactPrompt = prompt.trim().replace(/\s+/g, " ").slice(0, 200);
  return {
    text(key: string): string {
      const k = key.toLowerCase();
      if (/city|location|place|country|town|region|destination/.test(k))
        return proper.at(-1) ?? "Paris";
      if (/name|person|user|author/.test(k)) return proper[0] ?? "Alice";
      if (/unit/.test(k)) return "celsius";
      if (/lang/.test(k)) return "en";
      if (/query|question|text|input|prompt|message|content|search|topic|request/.test(k)) {
        return compactPrompt || generated;
      }
      if (k === "") return generated || compactPrompt;
      if (/answer|reason|summary|description|explanation|response|comment|output/.test(k)) {
        return generated || compactPrompt;
      }
      return longest ?? (generated || k);
    },
  };
}

const MODELS = new Map<string, NgramModel>();

/** Models are cached per extra corpus: training is cheap but happens per endpoint otherwise. */
function getModel(extra: string | undefined): NgramModel {
  const key = extra ?? "";
  let model = MODELS.get(key);
  if (model === undefined) {
    const entries: CorpusEntry[] = [...CORPUS];
    if (extra !== undefined) {
      for (const sentence of extra.match(/[^.!?\n]+[.!?]*/g) ?? []) {
        if (sentence.trim() !== "") entries.push({ cue: sentence, answer: sentence.trim() });
      }
    }
    model = new NgramModel(entries);
    if (MODELS.size < 16) MODELS.set(key, model);
  }
  return model;
}
