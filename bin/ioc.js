#!/usr/bin/env node
// The `ioc` command. The TypeScript is compiled by `npm run setup` (tsc -b) into cli/dist.
import { existsSync } from 'node:fs';

const entry = new URL('../cli/dist/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('ioc: not built yet; run `npm run setup` (or `npm start`) first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
