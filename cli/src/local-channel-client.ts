import { existsSync } from 'node:fs';
import { request } from 'node:http';

export interface ChannelAnswer<T> {
  status: number;
  body: T;
}

/**
 * Talks to a running server over its local admin socket. Returns undefined when no server
 * answers there (no socket file, or a stale one), so callers fall back to the database.
 */
export async function callLocalChannel<T>(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ChannelAnswer<T> | undefined> {
  if (!existsSync(socketPath)) return undefined;
  const payload =
    body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: payload ? { 'content-type': contentType } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as T });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(undefined);
      else reject(err);
    });
    req.end(payload);
  });
}
