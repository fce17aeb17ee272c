import type { TeacherPort } from "../cascade/port.ts";
import { forTeacher, modeFor, type RedactionPolicy } from "./policy.ts";

/**
 * The teacher port as REDACTION allows the teacher to see texts: a model set to "log+teacher" has its
 * query texts redacted before they reach the wrapped port (and so its answer cache, keyed by what was
 * asked). The mode is the gateway model's, named by the query's cache scope; a query without one names
 * no model and gets the mode of "*".
 */
export function redactingTeacher(teacher: TeacherPort, policy: RedactionPolicy): TeacherPort {
  const redacting: TeacherPort = {
    ask(query, options) {
      const mode = modeFor(policy, query.cache?.model ?? "*");
      if (mode !== "log+teacher") return teacher.ask(query, options);
      return teacher.ask({ ...query, texts: query.texts.map((text) => forTeacher(text, mode)) }, options);
    },
  };
  if (teacher.breakerState) redacting.breakerState = teacher.breakerState.bind(teacher);
  return redacting;
}
