import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  appendFile,
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 server binaries (`apt-get install postgresql`). */
const BIN_DIR = '/usr/lib/postgresql/15/bin';
const SUPERUSER = 'postgres';
const DATABASE = 'ioc_test';
const CLUSTER_PREFIX = 'test-postgres-';
/** Holds the pid of the process that started the cluster, to find orphans. */
const OWNER_FILE = 'owner.pid';
/** Longest unix socket path the kernel accepts is 107 bytes; leave room for `.s.PGSQL.NNNNN`. */
const MAX_SOCKET_DIR_LENGTH = 90;

export interface ThrowawayPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/ioc_test` */
  readonly url: string;
  /** Stops the cluster and deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ThrowawayPostgresOptions {
  /** Where to say why the cluster lives somewhere unexpected; stderr by default. */
  log?: (message: string) => void;
}

/**
 * Starts a private PostgreSQL 15 cluster for tests: its own directory, a free loopback
 * port, a random superuser password (scram-sha-256 over TCP, so a wrong password is
 * refused as in production) and an empty `ioc_test` database. PostgreSQL refuses to run
 * as root, so as root the server runs as the `postgres` OS user.
 */
export async function startThrowawayPostgres(
  options: ThrowawayPostgresOptions = {},
): Promise<ThrowawayPostgres> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  for (const binary of ['initdb', 'pg_ctl', 'postgres', 'createdb']) {
    if (!existsSync(join(BIN_DIR, binary))) {
      throw new Error(
        `PostgreSQL 15 server binaries not found (${join(BIN_DIR, binary)} is missing); apt-get install postgresql`,
      );
    }
  }

  const asRoot = process.getuid?.() === 0;
  const dir = await makeClusterDir(asRoot, log);
  const dataDir = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  let started = false;

  const stop = async (): Promise<void> => {
    if (started) {
      started = false;
      await runAsOwner(asRoot, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop'], dir).catch(
        (err: unknown) => log(`throwaway PostgreSQL in ${dir} did not stop cleanly: ${err}`),
      );
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const passwordFile = join(dir, 'superuser-password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (asRoot) await chownToPostgres(passwordFile);
    await runAsOwner(
      asRoot,
      'initdb',
      [
        '-D',
        dataDir,
        '-U',
        SUPERUSER,
        `--pwfile=${passwordFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ],
      dir,
    );

    const socketDir = join(dir, 'sock');
    await mkdir(socketDir);
    if (asRoot) await chownToPostgres(socketDir);
    // A path too long for a unix socket would stop the server; then TCP alone will do.
    const sockets = socketDir.length <= MAX_SOCKET_DIR_LENGTH ? socketDir : '';

    // The port is free when chosen but another process may grab it before the server
    // binds; try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      await appendFile(
        join(dataDir, 'postgresql.conf'),
        [
          '',
          '# throwaway test cluster: loopback only, speed over durability',
          "listen_addresses = '127.0.0.1'",
          `port = ${port}`,
          `unix_socket_directories = '${sockets.replaceAll("'", "''")}'`,
          'fsync = off',
          'synchronous_commit = off',
          'full_page_writes = off',
          'max_connections = 200',
          '',
        ].join('\n'),
      );
      try {
        await runAsOwner(
          asRoot,
          'pg_ctl',
          ['-D', dataDir, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start'],
          dir,
        );
        started = true;
      } catch (err) {
        const serverLog = await readFile(join(dir, 'postgres.log'), 'utf8').catch(() => '');
        if (attempt < 3 && /could not bind|address already in use/i.test(serverLog)) continue;
        throw new Error(`throwaway PostgreSQL did not start: ${err}\n${serverLog}`);
      }
      await run(join(BIN_DIR, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), DATABASE], {
        env: { ...process.env, PGUSER: SUPERUSER, PGPASSWORD: password },
      });
      return { url: `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${DATABASE}`, stop };
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * `<repo>/var/test-postgres-<random>`, or a directory under the OS temp dir when the
 * `postgres` user cannot reach the repo (e.g. a clone under /root, mode 700).
 */
async function makeClusterDir(asRoot: boolean, log: (message: string) => void): Promise<string> {
  const varDir = fileURLToPath(new URL('../../var/', import.meta.url));
  await mkdir(varDir, { recursive: true });
  let parent = varDir;
  if (asRoot && !(await postgresUserCanEnter(varDir))) {
    parent = tmpdir();
    log(
      `the postgres OS user cannot enter ${varDir} (a parent directory is not traversable); ` +
        `the throwaway PostgreSQL cluster lives under ${parent} instead`,
    );
  }
  await reapOrphanedClusters(parent, asRoot, log);
  const dir = await mkdtemp(join(parent, CLUSTER_PREFIX));
  await writeFile(join(dir, OWNER_FILE), `${process.pid}\n`);
  // initdb wants to create data/ itself; the postgres user must own the directory.
  await chmod(dir, 0o700);
  if (asRoot) await chownToPostgres(dir);
  return dir;
}

/**
 * A test run killed before its teardown leaves its cluster running and its directory
 * behind; the next run stops and removes those whose owning process is gone. Clusters of
 * runs still alive (another terminal) are left alone.
 */
async function reapOrphanedClusters(
  parent: string,
  asRoot: boolean,
  log: (message: string) => void,
): Promise<void> {
  const entries = await readdir(parent).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name.startsWith(CLUSTER_PREFIX))) {
    const dir = join(parent, entry);
    const owner = Number((await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    log(`removing the throwaway PostgreSQL cluster ${dir} left by process ${owner}`);
    if (existsSync(join(dir, 'data', 'postmaster.pid'))) {
      await runAsOwner(
        asRoot,
        'pg_ctl',
        ['-D', join(dir, 'data'), '-m', 'immediate', 'stop'],
        dir,
      ).catch(() => {});
    }
    await rm(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function postgresUserCanEnter(dir: string): Promise<boolean> {
  try {
    await run('runuser', ['-u', SUPERUSER, '--', 'test', '-x', dir], { cwd: '/' });
    return true;
  } catch {
    return false;
  }
}

let postgresIds: Promise<{ uid: number; gid: number }> | undefined;

async function chownToPostgres(path: string): Promise<void> {
  postgresIds ??= Promise.all([run('id', ['-u', SUPERUSER]), run('id', ['-g', SUPERUSER])]).then(
    ([uid, gid]) => ({ uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }),
  );
  const { uid, gid } = await postgresIds;
  await chown(path, uid, gid);
}

/** Runs a server binary as the cluster owner: the `postgres` user when we are root. */
async function runAsOwner(asRoot: boolean, binary: string, args: string[], cwd: string) {
  const path = join(BIN_DIR, binary);
  const [command, commandArgs] = asRoot
    ? ['runuser', ['-u', SUPERUSER, '--', path, ...args]]
    : [path, args];
  return run(command, commandArgs, { cwd, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
