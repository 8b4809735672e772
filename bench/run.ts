/**
 * `npm run bench -- NAME [args]` runs bench/NAME.bench.ts, which prints its own figures.
 * `npm run bench` with no name lists the benchmarks.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const name = process.argv[2];
if (!name || !names.includes(name)) {
  console.log(`usage: npm run bench -- NAME\nbenchmarks: ${names.join(', ') || '(none)'}`);
  process.exit(name ? 1 : 0);
}
process.argv.splice(2, 1);
await import(pathToFileURL(path.join(here, `${name}.bench.ts`)).href);
