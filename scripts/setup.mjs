#!/usr/bin/env node
// One-command setup, shared by `npm start`, `npm test` and `npm run bench`: installs what is
// missing (Debian packages, npm dependencies, the mediasoup worker, the builds) and nothing
// more, so a second run takes seconds. Only Node built-ins here: it runs before `npm ci`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--for-tests');
const forBench = process.argv.includes('--for-bench');
const started = Date.now();

// What the IOC needs at run time, and to build the mediasoup worker from Debian's libraries.
const RUNTIME_PACKAGES = [
  'influxdb',
  'openssl',
  'meson',
  'ninja-build',
  'pkg-config',
  'g++',
  'libssl-dev',
  'libuv1-dev',
  'libsrtp2-dev',
  'libusrsctp-dev',
  'libabsl-dev',
  'nlohmann-json3-dev',
];
// Tests also drive a real browser, a throwaway PostgreSQL and mosquitto as an interop peer.
const TEST_PACKAGES = ['chromium', 'postgresql', 'mosquitto', 'mosquitto-clients'];
// `npm run bench -- sfu` sends real RTP from ffmpeg (without it, a synthetic Node sender).
const BENCH_PACKAGES = ['ffmpeg'];

function log(message) {
  process.stdout.write(`[setup] ${message}\n`);
}

function fail(message) {
  process.stderr.write(`[setup] error: ${message}\n`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.error) fail(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${command} ${args.join(' ')}\` failed (exit ${result.status})`);
}

function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) fail(`Node.js >= 20 is required (found ${process.version})`);
}

function installDebianPackages() {
  const wanted = [
    ...RUNTIME_PACKAGES,
    ...(forTests ? TEST_PACKAGES : []),
    ...(forBench ? BENCH_PACKAGES : []),
  ];
  if (spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status !== 0) {
    log(`not a Debian/Ubuntu system: make sure these are installed: ${wanted.join(' ')}`);
    return;
  }
  const missing = wanted.filter((name) => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? [] : ['sudo', '-n'];
  if (!isRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) {
    fail(
      `missing Debian packages; install them with: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  log(`installing Debian packages: ${missing.join(' ')} (one-time, a few minutes)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [cmd, ...pre] = [...sudo, 'apt-get'];
  run(cmd, [...pre, 'update', '-qq'], { env });
  run(cmd, [...pre, 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

function hashFiles(paths) {
  const hash = createHash('sha256');
  for (const path of paths) {
    hash.update(path);
    hash.update(readFileSync(path));
  }
  return hash.digest('hex');
}

function listFiles(dir, skip) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip.has(entry.name)) continue;
    if (entry.isDirectory()) out.push(...listFiles(path, skip));
    else out.push(path);
  }
  return out.sort();
}

const stampDir = join(root, 'node_modules', '.ioc-setup');

function stamp(name) {
  const file = join(stampDir, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function writeStamp(name, value) {
  mkdirSync(stampDir, { recursive: true });
  writeFileSync(join(stampDir, name), value);
}

function installNpmDependencies(workerBin) {
  const lockHash = hashFiles([join(root, 'package-lock.json')]);
  if (stamp('lock') === lockHash && existsSync(join(root, 'node_modules', '.package-lock.json'))) {
    return;
  }
  log('installing npm dependencies (npm ci)');
  // With MEDIASOUP_WORKER_BIN set, mediasoup's postinstall skips its download/build from GitHub,
  // which cannot work offline; the worker is built from Debian's libraries below instead.
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    env: { ...process.env, MEDIASOUP_WORKER_BIN: workerBin },
  });
  writeStamp('lock', lockHash);
}

async function buildMediasoupWorker() {
  const { ensureMediasoupWorker } = await import('./mediasoup-worker.mjs');
  await ensureMediasoupWorker({ root, log });
}

function buildTypeScript() {
  log('compiling TypeScript (tsc -b, incremental)');
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b']);
}

function buildWebApp() {
  const appDir = join(root, 'ioc-web', 'app');
  const sources = listFiles(appDir, new Set(['dist', 'node_modules']));
  const appHash = hashFiles([...sources, join(root, 'package-lock.json')]);
  if (stamp('web-app') === appHash && existsSync(join(appDir, 'dist', 'index.html'))) return;
  log('building the web app (vite build)');
  run(process.execPath, [
    join(root, 'node_modules/vite/bin/vite.js'),
    'build',
    appDir,
    '--logLevel',
    'warn',
  ]);
  writeStamp('web-app', appHash);
}

function workerCachePath() {
  return join(root, 'node_modules', 'mediasoup', 'worker', 'out', 'Release', 'mediasoup-worker');
}

checkNode();
installDebianPackages();
installNpmDependencies(workerCachePath());
await buildMediasoupWorker();
buildTypeScript();
buildWebApp();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
log(`ready in ${seconds} s`);
