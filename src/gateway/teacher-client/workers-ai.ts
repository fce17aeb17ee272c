import { z } from "zod";
import { allOrAbort, checkLabel, parseAnswer } from "./http.ts";
import { labelMessages, labelSchema } from "./label-prompt.ts";
import { type TeacherAdapter, TeacherError } from "./types.ts";

/**
 * Workers AI through the `AI` binding: `env.AI.run(model, {messages, response_format})` with JSON mode
 * (`response_format: {type: "json_schema", json_schema: <schema>}`; Workers AI takes the bare schema,
 * not OpenAI's `{name, strict, schema}` wrapper). The model answers `{"response": {...}}`, the parsed
 * object in JSON mode, though some models hand back the JSON as a string; both are read. Workers AI
 * gives no logprobs, so an answer is a bare label: confidence 1. One run per text, in parallel.
 *
 * The binding throws on failure without a status; such errors count as `network` (a service failure,
 * retried once like a 5xx), except when our deadline aborted the run.
 */

/** The slice of the `Ai` binding this adapter needs, so tests can pass a stand-in. */
export interface AiBinding {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
}

const Output = z.looseObject({ response: z.union([z.string(), z.record(z.string(), z.unknown())]) });
const LabelJson = z.object({ label: z.string() });

function parseResponse(response: string | Record<string, unknown>, what: string): unknown {
  if (typeof response !== "string") return response;
  try {
    return JSON.parse(response);
  } catch {
    throw new TeacherError("bad_response", `${what}: response is not JSON: ${response.slice(0, 200)}`);
  }
}

export function workersAiAdapter(ai: AiBinding): TeacherAdapter {
  return {
    protocol: "workers-ai",
    classify(query, signal) {
      const what = `Workers AI ${query.model}`;
      return allOrAbort(query.texts, signal, async (text, each) => {
        const inputs = {
          messages: labelMessages(query.labels, text),
          response_format: { type: "json_schema", json_schema: labelSchema(query.labels) },
          temperature: 0,
          max_tokens: 64,
        };
        let raw: unknown;
        try {
          raw = await ai.run(query.model, inputs, { signal: each });
        } catch (error) {
          if (each.aborted) throw new TeacherError("timeout", `${what}: aborted at the deadline`);
          throw new TeacherError(
            "network",
            `${what}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        const { response } = parseAnswer(Output, raw, what);
        const { label } = parseAnswer(LabelJson, parseResponse(response, what), `${what} response`);
        return { label: checkLabel(label, query.labels, what), confidence: 1, probs: null };
      });
    },
  };
}
