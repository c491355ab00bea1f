import type { Backend } from "./types.js";

/**
 * `scripted` backend: canned answers. With a list, answers are used round-robin across requests
 * (and choices) of this endpoint, starting again when the emulator restarts. With a map, the
 * prompt (or last user message) is looked up exactly, then trimmed; a miss answers with the map's
 * `"*"` entry if present, else an empty string.
 */
export function createScriptedBackend(spec: {
  answers: string[] | Record<string, string>;
}): Backend {
  let cursor = 0;
  const answers = spec.answers;
  return {
    type: "scripted",
    generate: (request) => {
      let prompt = request.prompt;
      if (request.kind === "chat") {
        const lastUser = request.messages.findLast((m) => m.role === "user");
        prompt = lastUser?.content ?? "";
      }
      const choices = Array.from({ length: request.n }, () => {
        if (Array.isArray(answers)) {
          const text = answers.length === 0 ? "" : (answers[cursor % answers.length] ?? "");
          cursor++;
          return { text };
        }
        return { text: answers[prompt] ?? answers[prompt.trim()] ?? answers["*"] ?? "" };
      });
      return Promise.resolve({ choices });
    },
  };
}
