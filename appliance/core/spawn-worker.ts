/**
 * Start a worker thread from a sibling module, the same way built (`.js` under dist/) and from
 * source (`.ts` under tsx: tests, development). Under tsx the worker has no loader for `.ts`
 * files, so the entry is imported through tsx's ESM API, registered first inside the worker.
 *
 *   spawnSiblingWorker(import.meta.url, 'worker-main', data)
 */
import { Worker } from 'node:worker_threads';

export function spawnSiblingWorker(callerUrl: string, entryBaseName: string, workerData: unknown): Worker {
  if (callerUrl.endsWith('.ts')) {
    const entry = new URL(`./${entryBaseName}.ts`, callerUrl).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(boot, { eval: true, workerData, execArgv: [] });
  }
  return new Worker(new URL(`./${entryBaseName}.js`, callerUrl), { workerData });
}
