#!/usr/bin/env node
// Makes sure the mediasoup-worker binary exists, built from Debian's own libraries.
//
// mediasoup's postinstall downloads a prebuilt worker from GitHub or builds one from meson
// wraps fetched from GitHub; neither is reachable here. mediasoup 3.12.16's subprojects
// (OpenSSL 3.0, libuv 1.44, libsrtp 2.5, usrsctp, abseil 20220623, nlohmann_json) match
// Debian bookworm's -dev packages, so we replace each wrap with a tiny meson project that
// hands the system library to the worker's meson.build, build only `mediasoup-worker`,
// cache the binary and install it where mediasoup looks when MEDIASOUP_WORKER_BIN is unset
// (node_modules/mediasoup/worker/out/Release/mediasoup-worker, see node/lib/Worker.js).
//
// Only Node built-ins: this runs before and after `npm ci`.
//   node scripts/mediasoup-worker.mjs           build (or reuse the cached build) and install
//   import { ensureMediasoupWorker } from './mediasoup-worker.mjs'

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The mediasoup release whose worker this recipe knows how to build. */
export const MEDIASOUP_VERSION = '3.12.16';

/** Debian -dev packages the worker links against, with the pkg-config module that proves each. */
const LIBRARY_PACKAGES = {
  'libssl-dev': 'openssl',
  'libuv1-dev': 'libuv',
  'libsrtp2-dev': 'libsrtp2',
  'libusrsctp-dev': 'usrsctp',
  'libabsl-dev': 'absl_flat_hash_map',
  'nlohmann-json3-dev': 'nlohmann_json',
};

/** Build tools: command → Debian package that provides it. */
const TOOLS = { meson: 'meson', ninja: 'ninja-build', 'pkg-config': 'pkg-config', 'c++': 'g++' };

// The worker's meson.build link_whole()s a static library from some subprojects (only for
// libmediasoup-worker, which we do not build). With system libraries there is nothing to
// embed, so those targets are empty archives built from this file.
const STUB_SOURCE = '/* Intentionally empty: the real library comes from the system. */\n';

/**
 * subprojects/<name>/{meson.build, meson_options.txt}: each exposes the variables the
 * worker reads (see worker/meson.build and worker/deps/libwebrtc/meson.build) and accepts
 * the default_options the worker passes to it.
 */
const SUBPROJECTS = {
  openssl: {
    'meson.build': `project('openssl', 'c')
openssl_dep = dependency('openssl', version: '>= 3.0')
libcrypto_dep = dependency('libcrypto')
libssl_dep = dependency('libssl')
libcrypto_lib = static_library('crypto_stub', 'stub.c')
libssl_lib = static_library('ssl_stub', 'stub.c')
`,
  },
  libuv: {
    'meson.build': `project('libuv', 'c')
libuv_dep = dependency('libuv', version: '>= 1.44')
libuv = static_library('uv_stub', 'stub.c')
`,
    'meson_options.txt': `option('build_tests', type: 'boolean', value: false)
option('build_benchmarks', type: 'boolean', value: false)
`,
  },
  libsrtp2: {
    // Debian installs srtp.h under /usr/include/srtp2 while the worker includes <srtp.h>.
    'meson.build': `project('libsrtp2', 'c')
srtp = dependency('libsrtp2', version: '>= 2.5')
libsrtp2_dep = declare_dependency(
  dependencies: srtp,
  include_directories: include_directories(srtp.get_variable(pkgconfig: 'includedir') / 'srtp2', is_system: true),
)
libsrtp2 = static_library('srtp2_stub', 'stub.c')
`,
    'meson_options.txt': `option('crypto-library', type: 'combo', choices: ['none', 'openssl', 'nss', 'mbedtls'], value: 'none')
option('crypto-library-kdf', type: 'feature', value: 'auto')
option('tests', type: 'feature', value: 'disabled')
`,
  },
  usrsctp: {
    'meson.build': `project('usrsctp', 'c')
usrsctp_dep = dependency('usrsctp')
usrsctp = static_library('usrsctp_stub', 'stub.c')
`,
    'meson_options.txt': `option('sctp_build_programs', type: 'boolean', value: false)
`,
  },
  nlohmann_json: {
    'meson.build': `project('nlohmann_json', 'c')
nlohmann_json_dep = dependency('nlohmann_json', version: '>= 3.10')
`,
  },
  'abseil-cpp': {
    'meson.build': `project('abseil-cpp', 'c', 'cpp')
absl_container_dep = declare_dependency(dependencies: [
  dependency('absl_flat_hash_map'),
  dependency('absl_flat_hash_set'),
  dependency('absl_btree'),
  dependency('absl_inlined_vector'),
  dependency('absl_memory'),
])
absl_strings_dep = dependency('absl_strings')
absl_types_dep = dependency('absl_optional')
absl_container_lib = static_library('absl_container_stub', 'stub.c')
`,
  },
  catch2: {
    // Only the worker's unit-test executable uses Catch2; we never build it.
    'meson.build': `project('catch2', 'c')
catch2_dep = dependency('catch2', required: false)
`,
  },
};

// Debian bookworm ships meson 1.0.1; the worker's meson.build needs nothing newer.
const MESON_VERSION_LINE = "meson_version: '>= 1.1.0'";
const MESON_VERSION_LINE_PATCHED = "meson_version: '>= 1.0.0'";

const MESON_SETUP_ARGS = [
  '--buildtype',
  'release',
  '-Db_ndebug=true',
  '-Db_pie=true',
  '-Db_staticpic=true',
];

const RECIPE_HASH = createHash('sha256')
  .update(
    JSON.stringify({
      SUBPROJECTS,
      STUB_SOURCE,
      MESON_VERSION_LINE,
      MESON_VERSION_LINE_PATCHED,
      MESON_SETUP_ARGS,
      platform: process.platform,
      arch: process.arch,
    }),
  )
  .digest('hex');

/**
 * Makes sure node_modules/mediasoup/worker/out/Release/mediasoup-worker exists and comes from
 * a build of this recipe against the installed libraries; builds it (about 3 minutes on 2
 * cores) only when the cache has none.
 *
 * @param {{ root?: string, log?: (line: string) => void }} [options]
 *   root: the project root (holds node_modules); log: receives one progress line at a time.
 * @returns {Promise<{ binary: string, cached: string, built: boolean }>}
 *   binary: the installed worker; cached: its copy in the cache; built: whether we compiled.
 */
export async function ensureMediasoupWorker({ root = process.cwd(), log = () => {} } = {}) {
  const say = (line) => log(`mediasoup-worker: ${line}`);
  const mediasoupDir = join(resolve(root), 'node_modules', 'mediasoup');
  const version = readMediasoupVersion(mediasoupDir);
  const installed = join(mediasoupDir, 'worker', 'out', 'Release', 'mediasoup-worker');

  const libraryVersions = installedLibraryVersions();
  const key = cacheKey(version, libraryVersions);
  const cacheDir = join(cacheRoot(), 'ioc', 'mediasoup-worker', key);
  const cached = join(cacheDir, 'mediasoup-worker');

  let built = false;
  if (existsSync(cached)) {
    say(`using cached build ${cached}`);
  } else {
    checkBuildPrerequisites();
    say(`no cached build for key ${key}; building (takes a few minutes)`);
    await buildInto(mediasoupDir, cacheDir, libraryVersions, say);
    built = true;
  }
  checkRuns(cached);
  if (install(cached, installed)) say(`installed ${installed}`);
  else say(`up to date: ${installed}`);
  return { binary: installed, cached, built };
}

function readMediasoupVersion(mediasoupDir) {
  const pkgFile = join(mediasoupDir, 'package.json');
  if (!existsSync(pkgFile)) {
    throw new Error(`${mediasoupDir} is missing; run \`npm ci\` first`);
  }
  const { version } = JSON.parse(readFileSync(pkgFile, 'utf8'));
  if (version !== MEDIASOUP_VERSION) {
    throw new Error(
      `node_modules has mediasoup ${version} but scripts/mediasoup-worker.mjs builds ${MEDIASOUP_VERSION} ` +
        '(the newest whose worker builds against Debian bookworm libraries); pin mediasoup to it',
    );
  }
  return version;
}

/**
 * The installed version of each library package (part of the cache key); fails with one
 * line naming the first missing package.
 */
function installedLibraryVersions() {
  const packages = Object.keys(LIBRARY_PACKAGES);
  const query = spawnSync(
    'dpkg-query',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
    ['-W', '-f=${Package}|${db:Status-Abbrev}|${Version}\n', ...packages],
    { encoding: 'utf8' },
  );
  const found = new Map();
  if (query.error) {
    // Not Debian: fall back to what pkg-config reports.
    for (const [pkg, module] of Object.entries(LIBRARY_PACKAGES)) {
      found.set(pkg, pkgConfigVersion(module));
    }
  } else {
    for (const line of query.stdout.split('\n')) {
      const [pkg, status, version] = line.split('|');
      if (pkg && status?.startsWith('ii')) found.set(pkg, version);
    }
  }
  const versions = {};
  for (const pkg of packages) {
    if (!found.get(pkg)) throw missingPackage(pkg, 'not installed');
    versions[pkg] = found.get(pkg); // in a fixed order: the cache key hashes this object
  }
  return versions;
}

/** Before building: the tools, and each library visible to pkg-config (what meson asks). */
function checkBuildPrerequisites() {
  for (const [tool, pkg] of Object.entries(TOOLS)) {
    const probe = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    if (probe.error || probe.status !== 0) throw missingPackage(pkg, `\`${tool}\` not found`);
  }
  for (const [pkg, module] of Object.entries(LIBRARY_PACKAGES)) {
    if (!pkgConfigVersion(module)) throw missingPackage(pkg, `pkg-config finds no ${module}`);
  }
}

function pkgConfigVersion(module) {
  const query = spawnSync('pkg-config', ['--modversion', module], { encoding: 'utf8' });
  return query.status === 0 ? query.stdout.trim() : undefined;
}

function missingPackage(pkg, detail) {
  const error = new Error(
    `building mediasoup-worker needs the Debian package ${pkg} (${detail}); install it: apt-get install -y ${pkg}`,
  );
  error.code = 'MEDIASOUP_WORKER_PREREQUISITE';
  return error;
}

function cacheRoot() {
  return process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
}

function cacheKey(version, libraryVersions) {
  const digest = createHash('sha256')
    .update(JSON.stringify({ libraryVersions, recipe: RECIPE_HASH }))
    .digest('hex');
  return `${version}-${digest.slice(0, 16)}`;
}

async function buildInto(mediasoupDir, cacheDir, libraryVersions, say) {
  const work = mkdtempSync(join(tmpdir(), 'ioc-mediasoup-worker-'));
  const cleanUp = () => rmSync(work, { recursive: true, force: true });
  // Ctrl-C skips `finally`: stop meson/ninja (a signal sent to us alone does not reach
  // them), remove the build tree (hundreds of MB) anyway, then let the signal do what it
  // would have done.
  const onSignal = async (signal) => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await stopActiveStep();
    cleanUp();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const source = join(work, 'worker');
    prepareSource(join(mediasoupDir, 'worker'), source);
    const buildDir = join(work, 'build');
    say('configuring (meson setup)');
    await runStep('meson', ['setup', ...MESON_SETUP_ARGS, buildDir, source], work);
    const jobs = availableParallelism();
    say(`compiling with ninja -j${jobs}`);
    let reportedTenth = 0;
    await runStep('ninja', ['-C', buildDir, `-j${jobs}`, 'mediasoup-worker'], work, (line) => {
      const step = /^\[(\d+)\/(\d+)\]/.exec(line);
      if (!step) return;
      const [done, total] = [Number(step[1]), Number(step[2])];
      const tenth = Math.floor((done * 10) / total);
      if (tenth > reportedTenth) {
        reportedTenth = tenth;
        say(`compiled ${done}/${total} (${tenth * 10}%)`);
      }
    });
    mkdirSync(cacheDir, { recursive: true });
    // Copy then rename so a concurrent run never sees a half-written binary.
    const partial = join(cacheDir, `.mediasoup-worker.${process.pid}`);
    copyFileSync(join(buildDir, 'mediasoup-worker'), partial);
    chmodSync(partial, 0o755);
    renameSync(partial, join(cacheDir, 'mediasoup-worker'));
    writeFileSync(
      join(cacheDir, 'build.json'),
      `${JSON.stringify({ mediasoup: MEDIASOUP_VERSION, libraryVersions, recipe: RECIPE_HASH, builtAt: new Date().toISOString() }, null, 2)}\n`,
    );
    say(`built ${join(cacheDir, 'mediasoup-worker')}`);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    cleanUp();
  }
}

/** Copies the worker sources and swaps every meson wrap for a system-library subproject. */
function prepareSource(from, to) {
  cpSync(from, to, {
    recursive: true,
    filter: (path) =>
      !/[\\/](out|prebuild)$/.test(path) && !/[\\/]subprojects[\\/]packagecache$/.test(path),
  });
  const subprojects = join(to, 'subprojects');
  for (const entry of readdirSync(subprojects)) {
    if (entry.endsWith('.wrap')) rmSync(join(subprojects, entry));
  }
  for (const [name, files] of Object.entries(SUBPROJECTS)) {
    const dir = join(subprojects, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'stub.c'), STUB_SOURCE);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  }
  const mesonBuild = join(to, 'meson.build');
  const text = readFileSync(mesonBuild, 'utf8');
  if (!text.includes(MESON_VERSION_LINE)) {
    throw new Error(`${mesonBuild} no longer contains "${MESON_VERSION_LINE}"; update the recipe`);
  }
  writeFileSync(mesonBuild, text.replace(MESON_VERSION_LINE, MESON_VERSION_LINE_PATCHED));
}

/** The meson or ninja process running now, so an interrupt can stop it. */
let activeStep;

/** Interrupts the running build step (ninja then stops its compilers) and waits for it. */
async function stopActiveStep() {
  const child = activeStep;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('close', done));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Runs one build command; on failure the error carries the last lines of its output. */
function runStep(command, args, cwd, onLine = () => {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    activeStep = child;
    const tail = [];
    let pending = '';
    const take = (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        onLine(line);
      }
    };
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (pending) tail.push(pending);
      if (code === 0) return resolvePromise();
      reject(
        new Error(
          `\`${command} ${args.join(' ')}\` failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`,
        ),
      );
    });
  });
}

/**
 * The worker exits with 41 when started without MEDIASOUP_VERSION; reaching main() proves
 * its shared libraries load (a missing one makes the loader exit with 127 instead).
 */
function checkRuns(binary) {
  const env = { ...process.env };
  delete env.MEDIASOUP_VERSION;
  const run = spawnSync(binary, [], { env, encoding: 'utf8', timeout: 10_000 });
  if (run.status !== 41) {
    const why = run.error?.message ?? (run.stderr.trim().split('\n').pop() || `exit ${run.status}`);
    throw new Error(
      `${binary} does not start (${why}); delete ${dirname(binary)} and run \`npm run setup\` again`,
    );
  }
}

/** Hard-links (or copies) the cached binary into place; returns false when already there. */
function install(cached, target) {
  if (existsSync(target)) {
    const [a, b] = [statSync(cached), statSync(target)];
    if (a.ino === b.ino && a.dev === b.dev) return false;
    if (a.size === b.size && readFileSync(cached).equals(readFileSync(target))) return false;
  }
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}`;
  try {
    linkSync(cached, partial);
  } catch {
    copyFileSync(cached, partial);
    chmodSync(partial, 0o755);
  }
  try {
    renameSync(partial, target);
  } catch (err) {
    if (existsSync(partial)) unlinkSync(partial);
    throw err;
  }
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  ensureMediasoupWorker({ root, log: (line) => console.log(line) }).catch((err) => {
    console.error(`mediasoup-worker: ${err.message}`);
    process.exitCode = 1;
  });
}
