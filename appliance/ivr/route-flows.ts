/**
 * The flow a routed call runs (issue 7 "versions with publish/rollback"): the PUBLISHED version
 * of the route's flow id in the flow store, so publishing or rolling back in the editor changes
 * what the next caller hears, on SIP and TDM alike. The built-in default flow is only a
 * fallback for its own id while the store has no published version of it (first boot before
 * the seed, or a store that is not wired yet); any other id without a published version is
 * unknown (null: the call layer clears the call with "unallocated number").
 */
import type { Flow } from './flow-schema.js';
import type { FlowSource } from './ports.js';

export interface RouteFlows {
  flow(flowId: string): Promise<Flow | null>;
}

/** `source()` is read per call, so a store wired after the call layer is picked up. */
export function routeFlows(source: () => FlowSource | undefined, fallback?: Flow): RouteFlows {
  return {
    async flow(flowId) {
      const published = (await source()?.published(flowId)) ?? null;
      if (published) return published;
      return fallback && fallback.id === flowId ? fallback : null;
    },
  };
}
