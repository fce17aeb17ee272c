import type autocannon from "autocannon";

export type Traffic = "student" | "teacher" | "mix";
export const TRAFFIC: Record<Traffic, string> = {
  student: 'student only (`options.teacher: "never"`)',
  teacher: 'teacher always (`options.teacher: "always"`)',
  mix: "CLINC150 test set, shuffled (teacher auto)",
};

const JSON_HEADERS = { "content-type": "application/json" };
export const STUDENT_TEXT = "what is my account balance";

/** POST /v1/classify bodies for a kind of traffic; extra headers (the bench's stage switch) ride along. */
export function classifyRequests(
  traffic: Traffic,
  model: string,
  texts: readonly string[],
  headers: Record<string, string> = {},
): autocannon.Request[] {
  const base = { method: "POST" as const, path: "/v1/classify", headers: { ...JSON_HEADERS, ...headers } };
  if (traffic !== "mix") {
    const teacher = traffic === "student" ? "never" : "always";
    return [{ ...base, body: JSON.stringify({ model, text: STUDENT_TEXT, options: { teacher } }) }];
  }
  // One shared cursor over the shuffled test set: every connection takes the next text.
  let cursor = 0;
  return [
    {
      ...base,
      setupRequest: (request) => {
        const text = texts[cursor % texts.length] ?? "hello";
        cursor++;
        return { ...request, body: JSON.stringify({ model, text, options: { teacher: "auto" } }) };
      },
    },
  ];
}

/** The trivial route: GET /v2/health/live (no body, no model, no key needed). */
export const LIVE_REQUESTS: autocannon.Request[] = [{ method: "GET", path: "/v2/health/live" }];
