export {
  forLog,
  forTeacher,
  modeFor,
  REDACTION_MODES,
  type RedactionMode,
  RedactionPolicy,
  RedactionVar,
} from "./policy.ts";
export { type Redacted, RULES, redact } from "./redact.ts";
export type { RedactionKind } from "./rule.ts";
