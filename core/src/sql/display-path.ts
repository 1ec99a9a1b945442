import { isAbsolute, relative } from 'node:path';

/** A path as a person at this shell would type it: relative when under the cwd. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
