import type { ServerResponse } from "node:http";
import { baseHeaders } from "./http_util.js";
import type { StreamErrorShape } from "./types.js";

const STREAM_ERROR = "The model failed while streaming.";

/** The error frame of each shape; `sequence` is the number of frames already sent. */
function errorFrame(shape: StreamErrorShape, sequence: number): string {
  switch (shape) {
    case "openai":
      return JSON.stringify({
        error: { message: STREAM_ERROR, type: "server_error", code: "internal_error" },
      });
    case "responses":
      return JSON.stringify({
        type: "error",
        code: "server_error",
        message: STREAM_ERROR,
        param: null,
        sequence_number: sequence,
      });
    case "agent-server":
      // The MLflow AgentServer ends an errored stream normally (agent_server/server.py).
      return `${JSON.stringify({ error: STREAM_ERROR })}\n\ndata: [DONE]`;
    default:
      return JSON.stringify({ error_code: "INTERNAL_ERROR", message: STREAM_ERROR });
  }
}

/** Stream faults that act on the SSE frames (see `FaultSpec`). */
export interface StreamFaults {
  cutStreamAfterChunks?: number;
  errorMidStream?: { afterChunks: number; shape: StreamErrorShape };
  /** Send a broken JSON frame first (the `malformedJson` fault applied to a stream). */
  malformedJson?: boolean;
  stallStreamAfterChunks?: { afterChunks: number; ms: number };
}

/**
 * Server-Sent Events writer in the Databricks framing: every frame is `data: <json>\n\n`, the
 * stream ends with `data: [DONE]\n\n`, and no `event:` line is sent unless a caller names one
 * (the MLflow client rejects any key other than `data`; only the Responses streams' opt-in
 * `responsesEventLines` does). Served as `text/event-stream` (docs/PROTOCOL.md §9.1: the real
 * Content-Type is not documented).
 */
export class SseWriter {
  private frames = 0;
  private ended = false;
  /** Whether the `stallStreamAfterChunks` pause has begun (it happens once per stream). */
  private stalled = false;
  /** Writes held back while that pause lasts, in order; undefined when not pausing. */
  private held: (() => void)[] | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly faults: StreamFaults = {},
    headers: Record<string, string> = {},
  ) {
    res.writeHead(200, {
      ...baseHeaders(),
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      ...headers,
    });
    if (faults.malformedJson === true) {
      res.write('data: {"choices": [{"delta": \n\n');
      this.frames++;
    }
  }

  /** Whether the stream was cut or errored by a fault; callers stop producing then. */
  get closed(): boolean {
    return this.ended;
  }

  /**
   * Write one `data:` frame, preceded by `event: <event>` when given. Returns false once the
   * stream has been ended by a fault.
   */
  send(payload: unknown, event?: string): boolean {
    if (this.ended) return false;
    this.stallIfDue();
    const { cutStreamAfterChunks, errorMidStream } = this.faults;
    if (cutStreamAfterChunks !== undefined && this.frames >= cutStreamAfterChunks) {
      this.ended = true;
      // Close the socket once the frames already written are flushed, without the terminating
      // chunk: the client sees a truncated body (an abrupt end), not a clean end of stream.
      this.output(() => {
        const socket = this.res.socket;
        if (socket === null) this.res.destroy();
        else socket.end(() => socket.destroy());
      });
      return false;
    }
    if (errorMidStream !== undefined && this.frames >= errorMidStream.afterChunks) {
      this.ended = true;
      const frame = `data: ${errorFrame(errorMidStream.shape, this.frames)}\n\n`;
      this.output(() => this.res.end(frame));
      return false;
    }
    const line = event === undefined ? "" : `event: ${event}\n`;
    const frame = `${line}data: ${JSON.stringify(payload)}\n\n`;
    this.output(() => this.res.write(frame));
    this.frames++;
    return true;
  }

  /** Write `data: [DONE]` and end the response (unless a fault already ended it). */
  done(): void {
    if (this.ended) return;
    // A stall or a cut scheduled right after the last chunk still applies before [DONE].
    this.stallIfDue();
    if (
      this.faults.cutStreamAfterChunks !== undefined &&
      this.frames >= this.faults.cutStreamAfterChunks
    ) {
      this.send(null);
      return;
    }
    this.ended = true;
    this.output(() => this.res.end("data: [DONE]\n\n"));
  }

  /**
   * The `stallStreamAfterChunks` fault: once its frame count is reached, hold every later write
   * for `ms`, then send them in order. The producers write a whole stream at once, so the pause is
   * made here, where the bytes leave, rather than in each of them.
   */
  private stallIfDue(): void {
    const stall = this.faults.stallStreamAfterChunks;
    if (stall === undefined || this.stalled || this.frames < stall.afterChunks) return;
    this.stalled = true;
    const held: (() => void)[] = [];
    this.held = held;
    // The client may already be gone (it left while the answer was being generated): then no
    // "close" will come to end the stall, and nothing is left to send.
    if (this.res.destroyed) return;
    const timer = setTimeout(
      () => {
        this.res.off("close", abandon);
        this.held = undefined;
        for (const write of held) write();
      },
      Math.max(0, stall.ms),
    );
    // A stall must never keep the emulator's process alive on its own.
    timer.unref();
    // A client that gives up (its own timeout) closes the connection: nothing is left to send,
    // and no held write may reach a destroyed response.
    const abandon = (): void => {
      clearTimeout(timer);
      held.length = 0;
    };
    this.res.once("close", abandon);
  }

  /** Write now, or after the stall when one is under way. */
  private output(write: () => void): void {
    if (this.held === undefined) write();
    else this.held.push(write);
  }
}
