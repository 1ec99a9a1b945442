import { readFile } from 'node:fs/promises';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every common platform. */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) used so far by the main thread of process `pid`, from
 * /proc/<pid>/task/<pid>/stat; for this process that is the thread aedes runs on, worker
 * threads excluded. Undefined where /proc is not available.
 */
export async function mainThreadCpuSeconds(pid: number): Promise<number | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after "pid (comm) ": state is field 3, utime 14 and stime 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return Number.isFinite(utime + stime) ? (utime + stime) / TICKS_PER_SECOND : undefined;
}
