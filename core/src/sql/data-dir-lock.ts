import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Who holds a data-dir lock: written into the lock file as JSON. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** Linux boot id: a lock written before a reboot is stale even if its pid is alive. */
  bootId?: string;
  since: string;
}

export type LockResult =
  | { acquired: true; lock: DataDirLock }
  | { acquired: false; owner: LockOwner };

/**
 * An exclusive, cross-process lock held as a file containing the owner's pid. PGlite lets
 * only one process use a data directory; a second one would corrupt it. A lock whose
 * process is gone (crash, kill -9, reboot) is stale and is taken over.
 */
export class DataDirLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(
    readonly file: string,
    private readonly owner: LockOwner,
  ) {
    // A normal exit that skipped close() must not leave the lock behind either.
    process.once('exit', this.onExit);
  }

  static acquire(file: string): LockResult {
    const owner: LockOwner = {
      pid: process.pid,
      hostname: hostname(),
      bootId: currentBootId(),
      since: new Date().toISOString(),
    };
    // Two rounds: the second follows the removal of a stale lock.
    for (let round = 0; round < 2; round++) {
      if (createComplete(file, `${JSON.stringify(owner)}\n`)) {
        return { acquired: true, lock: new DataDirLock(file, owner) };
      }
      const text = readText(file);
      if (text === undefined) continue; // removed meanwhile: try again
      const holder = parseOwner(text);
      if (holder && isAlive(holder)) return { acquired: false, owner: holder };
      // Stale (or unreadable). Remove it only if it is still the file we judged, so a
      // lock another process has just taken over is not deleted.
      if (readText(file) === text) removeQuietly(file);
    }
    const holder = parseOwner(readText(file) ?? '');
    if (holder) return { acquired: false, owner: holder };
    throw new Error(`could not take the lock file ${file}; remove it if no IOC is running`);
  }

  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    const holder = parseOwner(readText(this.file) ?? '');
    if (holder?.pid === this.owner.pid && holder.since === this.owner.since) {
      removeQuietly(this.file);
    }
  }
}

/**
 * Creates `file` with `content` unless it exists. Written aside and hard-linked into place,
 * so no other process ever reads a half-written lock.
 */
function createComplete(file: string, content: string): boolean {
  const draft = `${file}.${process.pid}.${Date.now()}`;
  writeFileSync(draft, content);
  try {
    linkSync(draft, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (!HARD_LINKS_UNSUPPORTED.has(code ?? '')) throw err;
  } finally {
    removeQuietly(draft);
  }
  try {
    writeFileSync(file, content, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Filesystems without hard links fall back to an exclusive create. */
const HARD_LINKS_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

function isAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true; // cannot check another machine's pids
  const bootId = currentBootId();
  if (owner.bootId && bootId && owner.bootId !== bootId) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isInteger(value.pid) && typeof value.hostname === 'string') {
      return value as LockOwner;
    }
  } catch {
    // A torn or foreign file counts as no owner, i.e. stale.
  }
  return undefined;
}

function currentBootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim();
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
