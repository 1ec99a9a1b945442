// The web app as the Chromium e2e tests use it: built fresh from its sources, served by a
// small front server that forwards the API and the live channel to a real IOC.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const appRoot = fileURLToPath(new URL('../../ioc-web/app/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.svg': 'image/svg+xml',
};

/** Builds `ioc-web/app` for production into `outDir` (what scripts/setup.mjs ships). */
export async function buildApp(outDir: string): Promise<void> {
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: appRoot,
      configFile: join(appRoot, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

/**
 * The built app from `root`, index.html for other paths; /api, /healthz and /socket.io
 * (long polling and WebSocket upgrades) to the IOC at `upstream`. It outlives IOC restarts,
 * as a reverse proxy in front of a real IOC does.
 */
export async function frontServer(root: string, upstream: string): Promise<Server> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (
      url.pathname.startsWith('/api/') ||
      url.pathname === '/healthz' ||
      url.pathname.startsWith('/socket.io/')
    ) {
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      req.pipe(forward);
      return;
    }
    serveFile(root, url.pathname, res).catch(() => res.writeHead(500).end());
  });
  // WebSocket: replay the upgrade request to the IOC and splice the two sockets.
  server.on('upgrade', (req, socket, head) => {
    const back = connectTcp(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      back.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) back.write(head);
      back.pipe(socket).pipe(back);
    });
    back.on('error', () => socket.destroy());
    socket.on('error', () => back.destroy());
    back.on('close', () => socket.destroy());
    socket.on('close', () => back.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** A file of the built app, or index.html for client-side routes; 404 for missing assets. */
export async function serveFile(root: string, path: string, res: ServerResponse): Promise<void> {
  const file = normalize(join(root, path));
  const inside = file.startsWith(root + sep) && extname(file) !== '';
  const body = inside ? await readFile(file).catch(() => undefined) : undefined;
  if (body) {
    res.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
    });
    res.end(body);
    return;
  }
  res.writeHead(inside ? 404 : 200, { 'content-type': contentTypes['.html'] });
  res.end(inside ? '' : await readFile(join(root, 'index.html')));
}
