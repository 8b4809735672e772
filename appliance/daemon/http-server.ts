/**
 * Listening for HTTP with clear failures: a port already in use, a port the user may not bind,
 * an address this machine does not have — each an AppError with one plain sentence. Closing
 * stops accepting connections, closes idle keep-alive connections, lets requests in flight
 * finish for `graceMs` on the Clock, then cuts the rest (at once when forced).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';

export interface HttpServerHandle {
  readonly server: http.Server;
  readonly port: number;
  readonly host: string;
  close(forced: boolean): Promise<void>;
}

export function listenHttp(
  app: RequestListener,
  opts: { host: string; port: number; clock: Clock; graceMs?: number },
): Promise<HttpServerHandle> {
  const server = http.createServer(app);
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.removeListener('listening', onListening);
      server.close();
      reject(listenError(err, opts.host, opts.port));
    };
    const onListening = (): void => {
      server.removeListener('error', onError);
      const port = (server.address() as AddressInfo).port;
      resolve({ server, port, host: opts.host, close: (forced) => closeServer(server, forced, opts.clock, opts.graceMs ?? 5_000) });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(opts.port, opts.host);
  });
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): AppError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new AppError('PORT_IN_USE', `http port ${port} on ${host} is already in use`, { cause: err });
    case 'EACCES':
      return new AppError('PORT_IN_USE', `http port ${port} on ${host}: permission denied (ports below 1024 need privileges)`, {
        cause: err,
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new AppError('PORT_IN_USE', `http address ${host} is not an address of this machine (${err.code})`, {
        cause: err,
      });
    default:
      return new AppError('INTERNAL', `cannot listen on http ${host}:${port}: ${err.message}`, { cause: err });
  }
}

function closeServer(server: http.Server, forced: boolean, clock: Clock, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const grace = forced ? null : clock.setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      grace?.cancel();
      resolve();
    });
    if (forced) server.closeAllConnections();
    else server.closeIdleConnections();
  });
}
