import { readdir, readFile, readlink } from "node:fs/promises";

/**
 * The Worker's own workerd socket under `wrangler dev`. wrangler runs two workerd instances: a proxy
 * Worker on the `--port` it was given (it buffers each request, holds it during reloads and forwards it),
 * and the user Worker's own Miniflare on a random loopback port, which is what production resembles (no
 * proxy in front of the isolate). wrangler's API knows that port (its reloadComplete event's
 * `userWorkerUrl`) but its CLI never prints it, so we find it the way `ss -ltnp` would: the TCP sockets
 * listening in wrangler's process group (Linux /proc), minus the proxy's port, probed for the gateway's
 * own answer. Null where /proc is not there (macOS): the benchmark then reports the proxy row only.
 */
export async function directGatewayUrl(pgid: number, proxyPort: number): Promise<string | null> {
  const ports = await listeningPorts(pgid).catch(() => []);
  for (const port of ports) {
    if (port === proxyPort) continue;
    const url = `http://127.0.0.1:${port}`;
    if (await answersAsGateway(url)) return url;
  }
  return null;
}

/** The gateway stamps every answer with x-request-id (middleware/request-id); nothing else on loopback does. */
async function answersAsGateway(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v2/health/live`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok && response.headers.has("x-request-id");
  } catch {
    return false;
  }
}

async function processesIn(pgid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 5 of /proc/PID/stat is the process group; the command name (field 2) may hold spaces.
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1]) inodes.add(match[1]);
  }
  return inodes;
}

/** Ports of the TCP sockets in LISTEN state (0A) owned by the group's processes. */
async function listeningPorts(pgid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const pid of await processesIn(pgid)) for (const inode of await socketInodes(pid)) inodes.add(inode);
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = (await readFile(table, "utf8").catch(() => "")).split("\n").slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (state !== "0A" || !local || !inode || !inodes.has(inode)) continue;
      ports.add(Number.parseInt(local.split(":")[1] ?? "", 16));
    }
  }
  return [...ports];
}
