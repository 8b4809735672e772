/**
 * What the telephony administration pages need from the domain (DESIGN.md: the panel "calls
 * domain services, never SQL directly"). The daemon passes the real services:
 * `ExtensionService` (sip/registrar, the registrar reads the same table, so changes apply to
 * the next REGISTER without a restart) and the call store's routes (calls/call-store.ts, read
 * for every call). Outbound routes and trunks are shown read-only when provided.
 */
import type { Route, RouteInput } from '../../appliance/calls/dialplan.js';
import type { FieldIssue } from '../../appliance/core/errors.js';

/**
 * An extension as the pages show it (never its credentials). Declared here so the panel does not
 * import SIP internals; sip/registrar's ExtensionView has the same shape and is passed as is.
 */
export interface ExtensionView {
  number: string;
  displayName: string;
  authUser: string;
  enabled: boolean;
  maxContacts: number;
  createdAt: number;
  updatedAt: number;
}

export interface ExtensionsPort {
  list(): ExtensionView[];
  get(num: string): ExtensionView | null;
  /** Validated with ExtensionCreateSchema; throws ValidationError / ConflictError. */
  create(input: unknown): ExtensionView;
  /** Validated with ExtensionUpdateSchema; throws ValidationError / ConflictError / NotFoundError. */
  update(num: string, input: unknown): ExtensionView;
}

export interface InboundRoutesPort {
  /** Every stored route that validates, by priority. */
  routes(): Route[];
  /** Insert or replace (RouteSchema-checked input). */
  saveRoute(input: RouteInput): Route;
  /** Stored rows that failed validation on the last read. */
  readonly issues?: readonly FieldIssue[];
}

/** A read-only line of the outbound pages (calls/outbound-routes.ts OutboundRoute fits). */
export interface OutboundRouteLine {
  id: string;
  name: string;
  priority: number;
  pattern: string;
  gateways: readonly string[];
  enabled: boolean;
}

export interface TelephonyPanelDeps {
  extensions?: ExtensionsPort;
  routes?: InboundRoutesPort;
  /** Outbound routes (appliance/calls/outbound-store.ts), read only. */
  outboundRoutes?: () => readonly OutboundRouteLine[];
  /** SIP trunks, read only: id, name and a status word. */
  trunks?: () => ReadonlyArray<{ id: string; name: string; status: string }>;
}
