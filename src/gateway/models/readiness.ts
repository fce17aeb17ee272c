import { ApiError } from "../errors.ts";
import type { ModelSet } from "./model-set.ts";

/**
 * GET /v2/health/ready without creating a session: probes come often, and loading every model on each
 * one evicted and reloaded sessions whenever there were more models than the session cache holds. Ready
 * means the registry was read (this ModelSet was built from it) and every model with a student has a
 * valid manifest and its graph at hand: loaded, bundled, or stored in R2 (a metadata read). A model
 * with no student is answered by its teacher and has nothing to load. A model that is not ready is a
 * 500 model_unavailable naming it, as a failed load was.
 */
export async function requireReady(registry: ModelSet): Promise<void> {
  const withStudent = registry.names().filter((name) => registry.hasStudent(name));
  const stored = await Promise.all(withStudent.map((name) => registry.graphStored(name)));
  const missing = withStudent.filter((_, i) => !stored[i]);
  if (missing.length > 0)
    throw new ApiError(
      500,
      "model_unavailable",
      `not ready: the graph of ${missing.map((n) => `"${n}"`).join(", ")} is missing from the registry`,
    );
}
