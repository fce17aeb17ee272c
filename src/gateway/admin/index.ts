import type { AppEnv } from "../context.ts";
import { adminAuth } from "../middleware/admin-auth/index.ts";
import type { ModelCatalog } from "../models/catalog.ts";
import { type DocumentedApp, documentedApp } from "../openapi.ts";
import { feedbackAdminRoutes } from "./feedback/index.ts";
import { hardExampleRoutes } from "./hard-examples/index.ts";
import { keyAdminRoutes } from "./keys/index.ts";
import { leaseAdminRoutes } from "./leases/index.ts";
import { modelAdminRoutes } from "./models/index.ts";
import { ADMIN_TOKEN_SCHEME } from "./route.ts";
import { statsRoutes } from "./stats/index.ts";

/**
 * Everything under /admin, behind the bearer ADMIN_TOKEN: the hard-example and feedback exports for the
 * distill toolkit and the model registry. The admin routes never touch the serving path's caches.
 */
export function adminRoutes(catalog: ModelCatalog): DocumentedApp {
  const app = documentedApp();
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", ADMIN_TOKEN_SCHEME);
  app.use("/admin/*", adminAuth<AppEnv>({ token: (c) => c.env?.ADMIN_TOKEN }));
  return app
    .route("/", hardExampleRoutes)
    .route("/", feedbackAdminRoutes)
    .route("/", modelAdminRoutes(catalog))
    .route("/", keyAdminRoutes)
    .route("/", leaseAdminRoutes)
    .route("/", statsRoutes(catalog));
}
