import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveAdminToken, writeSecretsFile } from "./stack-secrets.ts";

describe("the stack's admin token", () => {
  it("comes from the caller, else $ADMIN_TOKEN, else is generated (43 base64url characters)", () => {
    expect(resolveAdminToken("given", { ADMIN_TOKEN: "env" })).toEqual({ token: "given", source: "option" });
    expect(resolveAdminToken(undefined, { ADMIN_TOKEN: "from-env" })).toEqual({
      token: "from-env",
      source: "env",
    });
    const a = resolveAdminToken(undefined, { ADMIN_TOKEN: "" });
    const b = resolveAdminToken(undefined, {});
    expect(a.source).toBe("generated");
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.token).not.toBe(a.token);
  });

  it("reaches wrangler through a private env file, after the user's .dev.vars", async () => {
    const project = await mkdtemp(join(tmpdir(), "apprentice-secrets-test-"));
    try {
      const plain = await writeSecretsFile({ ADMIN_TOKEN: "abc+/=-_.~x" }, project);
      const path = plain.args.at(-1)!;
      expect(plain.args).toEqual(["--env-file", path]);
      expect(await readFile(path, "utf8")).toBe("ADMIN_TOKEN=abc+/=-_.~x\n");
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      await plain.remove();
      await expect(stat(path)).rejects.toThrow();

      await writeFile(join(project, ".dev.vars"), "TEACHER_API_KEY=mine\n");
      const withDevVars = await writeSecretsFile({ ADMIN_TOKEN: "t" }, project);
      expect(withDevVars.args.slice(0, 2)).toEqual(["--env-file", join(project, ".dev.vars")]);
      await withDevVars.remove();
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });

  it.each(["has space", "dollar$HOME", "quote'", 'double"', "back\\slash", "hash#", "new\nline", ""])(
    "refuses a value wrangler would not read verbatim: %j",
    async (value) => {
      await expect(writeSecretsFile({ ADMIN_TOKEN: value })).rejects.toThrow(/ADMIN_TOKEN/);
    },
  );
});
