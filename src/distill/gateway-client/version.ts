/**
 * The default version of a re-distilled student: the next patch of the live version's major.minor,
 * above every version the registry already holds (so a version uploaded but never promoted is not
 * reused, which the registry would refuse with 409): 1.0.0 live, 1.0.1 uploaded → 1.0.2. A live version
 * that is not major.minor.patch gets a UTC timestamp instead, which sorts and never collides in practice.
 */
const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

export function nextVersion(live: string, existing: readonly string[], now = new Date()): string {
  const m = SEMVER.exec(live);
  if (!m) return now.toISOString().replace(/[-:]/g, "").replace("T", ".").slice(0, 15);
  const [, major, minor] = m;
  let patch = Number(m[3]);
  for (const v of existing) {
    const e = SEMVER.exec(v);
    if (e && e[1] === major && e[2] === minor) patch = Math.max(patch, Number(e[3]));
  }
  return `${major}.${minor}.${patch + 1}`;
}
