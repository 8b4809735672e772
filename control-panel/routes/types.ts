/**
 * A panel route as data: method, path, who may use it and the handler. createPanel mounts
 * every route behind the guard its `access` names, and tests enumerate the same list for the
 * authorisation matrix (RELIABILITY.md W4).
 */
import type { RequestHandler } from 'express';
import type { Operation, PanelFunction } from '../auth/permissions.js';

export type RouteAccess = 'public' | 'user' | readonly [PanelFunction, Operation];

export interface PanelRoute {
  method: 'get' | 'post';
  path: string;
  access: RouteAccess;
  handler: RequestHandler;
}
