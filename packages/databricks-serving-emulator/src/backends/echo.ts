import type { Backend } from "./types.js";

/**
 * `echo` backend: answers with the completion prompt, or with the last user message of a chat.
 * Every choice is the same text; `max_tokens` and `stop` still apply (in the task layer).
 */
export function createEchoBackend(): Backend {
  return {
    type: "echo",
    generate: (request) => {
      let text = request.prompt;
      if (request.kind === "chat") {
        const lastUser = request.messages.findLast((m) => m.role === "user");
        text = lastUser?.content ?? "";
      }
      return Promise.resolve({ choices: Array.from({ length: request.n }, () => ({ text })) });
    },
  };
}
