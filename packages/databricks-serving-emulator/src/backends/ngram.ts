import { isJsonObject } from "../json.js";
import type { BackendChoice, BackendOutput, BackendRequest, JsonValue } from "../types.js";
import { detokenize, tokenize } from "../text.js";
import { CORPUS, type CorpusEntry } from "./corpus.js";
import { createRandom, fnv1a } from "./prng.js";
import { valueForSchema, type SchemaValueSource } from "./schema_values.js";
import { pickTool, toolProgress, words } from "./tool_policy.js";
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
 * - Tools behave like an agent model's (rules in `tool_policy.ts`): each tool the last user
 *   message needs (it mentions a significant word of the tool's name) is called once; then a
 *   structured-output tool (LangChain's `toolStrategy`), if offered, is called; else "auto"
 *   answers and "required" calls a tool not called yet. A named `tool_choice` always calls it.
 *   Arguments fill every property of the tool's JSON schema with plausible values from the
 *   conversation: the prompt, and the tool results (their JSON fields by name, their numbers).
 * - Once tools have answered (after the last user message), the text answer quotes their results
 *   (`Here is what I found: …`) instead of corpus text.
 * - `response_format` json_object → `{"answer": text}`; json_schema → a value satisfying the schema,
 *   from the same values as tool arguments (so after the tools it carries their results).
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

  /**
   * Turn generated text into the requested shape: a tool call (see `tool_policy.ts`), JSON or
   * plain text. Once tools have answered, the answer is built on their results instead of the
   * corpus text, as an agent model would.
   */
  private shape(
    request: BackendRequest,
    text: string,
    truncated: boolean,
    seed: number,
  ): BackendChoice {
    const results = toolProgress(request.messages).results;
    const answer = results.length > 0 ? `Here is what I found: ${results.join(" ").trim()}` : text;
    const source = valueSource(request.prompt, answer, results);
    const tool = pickTool(request);
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
    const format = request.responseFormat;
    if (format?.type === "json_object")
      return { text: JSON.stringify({ answer }), finishReason: "stop" };
    if (format?.type === "json_schema") {
      return { text: JSON.stringify(valueForSchema(format.schema, source)), finishReason: "stop" };
    }
    if (results.length > 0) return { text: answer, finishReason: "stop" };
    return { text, finishReason: truncated ? "length" : "stop" };
  }
}

function bump(table: Map<string, Map<string, number>>, key: string, token: string): void {
  let row = table.get(key);
  if (row === undefined) table.set(key, (row = new Map()));
  row.set(token, (row.get(token) ?? 0) + 1);
}

/**
 * Plausible values for schema properties: a tool result's own field of that name first (JSON
 * results), then strings drawn from the prompt and the answer text, and numbers from the results.
 */
function valueSource(prompt: string, generated: string, results: string[]): SchemaValueSource {
  const tokens = tokenize(prompt);
  const proper = tokens.filter(
    (t, i) => i > 0 && /^\p{Lu}[\p{L}-]+$/u.test(t) && !/^[.!?]$/.test(tokens[i - 1] ?? "."),
  );
  const content = words(prompt).filter((w) => !STOPWORDS.has(w) && w.length > 2);
  const longest = content.toSorted((a, b) => b.length - a.length)[0];
  const compactPrompt = prompt.trim().replace(/\s+/g, " ").slice(0, 200);
  const fields = resultFields(results);
  return {
    text(key: string): string {
      const field = fields.get(key.toLowerCase());
      if (typeof field === "string" && field !== "") return field;
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
    number(key: string): number | undefined {
      const field = fields.get(key.toLowerCase());
      if (typeof field === "number") return field;
      // Free-text results ("It is 21 degrees"): their first number is the best guess.
      const found = results.join(" ").match(/-?\d+(?:\.\d+)?/);
      return found === null ? undefined : Number(found[0]);
    },
  };
}

/** The top-level fields of the JSON-object tool results, keyed in lower case (first one wins). */
function resultFields(results: string[]): Map<string, JsonValue> {
  const fields = new Map<string, JsonValue>();
  for (const result of results) {
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(result) as JsonValue;
    } catch {
      continue; // a free-text result has no fields
    }
    if (!isJsonObject(parsed)) continue;
    for (const [key, value] of Object.entries(parsed)) {
      if (!fields.has(key.toLowerCase())) fields.set(key.toLowerCase(), value);
    }
  }
  return fields;
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
