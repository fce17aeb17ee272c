/**
 * The prompt and answer schema shared by the LLM adapters (openai, workers-ai). The user message ends
 * with a `Text:` line because the local teacher (and any server following its convention, see
 * src/core/openai-answer.ts) classifies what follows that marker; an LLM reads it as plain prose.
 */
export function labelSchema(labels: readonly string[]) {
  return {
    type: "object",
    properties: { label: { type: "string", enum: [...labels] } },
    required: ["label"],
    additionalProperties: false,
  } as const;
}

export function labelMessages(labels: readonly string[], text: string) {
  const system =
    "You are a text classifier. Choose the single label that fits the text best and answer only with " +
    `JSON of the form {"label": "<label>"}. The allowed labels are: ${JSON.stringify(labels)}.`;
  return [
    { role: "system", content: system },
    { role: "user", content: `Classify the text below.\nText: ${text}` },
  ] as const;
}
