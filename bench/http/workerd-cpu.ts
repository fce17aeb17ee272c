import { readdir, readFile } from "node:fs/promises";

/** CPU time (ms) of the workerd processes this Node process started; null where /proc is missing. */
export async function workerdCpuMs(): Promise<number | null> {
  let ticks = 0;
  try {
    for (const pid of await readdir("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
      if (!stat.includes("(workerd)")) continue;
      // After the command name: state, ppid, …, utime (field 14), stime (15).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid) ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return null;
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
