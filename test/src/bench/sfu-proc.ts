// What Linux says about the benchmark's sockets and processes (/proc), for telling a worker
// that is too slow from one that is kept waiting for a core, and the SFU's losses from the
// sinks'. Every function returns undefined where /proc is not available.
import { readdir, readFile, readlink } from 'node:fs/promises';

interface UdpRow {
  localAddress: string;
  inode: string;
  drops: number;
}

async function udpTable(): Promise<UdpRow[] | undefined> {
  let table: string;
  try {
    table = await readFile('/proc/net/udp', 'utf8');
  } catch {
    return undefined;
  }
  // sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 13)
    .map((fields) => ({
      localAddress: fields[1] as string,
      inode: fields[9] as string,
      drops: Number(fields[12]) || 0,
    }));
}

/**
 * Datagrams the kernel dropped on these local UDP ports of 127.0.0.1 because the socket's
 * receive buffer was full: packets the SFU did send that the sinks' thread read too slowly.
 */
export async function udpDropsOnPorts(ports: readonly number[]): Promise<number | undefined> {
  const rows = await udpTable();
  if (!rows) return undefined;
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  const wanted = new Set(ports.map((port) => `0100007F:${hex(port)}`));
  return rows.filter((row) => wanted.has(row.localAddress)).reduce((sum, r) => sum + r.drops, 0);
}

/**
 * Datagrams the kernel dropped on the UDP sockets process `pid` holds: for a mediasoup worker,
 * media that arrived while it could not read its sockets fast enough.
 */
export async function udpDropsOfProcess(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const inodes = new Set<string>();
  try {
    for (const fd of await readdir(`/proc/${pid}/fd`)) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    }
  } catch {
    return undefined;
  }
  const rows = await udpTable();
  if (!rows) return undefined;
  return rows.filter((row) => inodes.has(row.inode)).reduce((sum, r) => sum + r.drops, 0);
}

/**
 * Seconds the main thread of process `pid` has spent runnable but waiting for a CPU
 * (/proc/<pid>/schedstat, second field, ns): high while other processes hold the cores.
 */
export async function runQueueWaitSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const [, waitNs] = (await readFile(`/proc/${pid}/schedstat`, 'utf8')).trim().split(' ');
    const seconds = Number(waitNs) / 1e9;
    return Number.isFinite(seconds) ? seconds : undefined;
  } catch {
    return undefined;
  }
}
