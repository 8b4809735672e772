/**
 * Trunk events on the appliance bus (issue 3 "trunk up/down events"), by declaration merging
 * into core/events.ts EventMap: a trunk went up or down (registration, qualify, enable), and an
 * inbound INVITE from a trunk was refused for its channel limit.
 */
declare module '../../core/events.js' {
  interface EventMap {
    'sip.trunk.state-changed': { trunkId: string; up: boolean; reason: string };
    'sip.trunk.call-refused': { trunkId: string; direction: 'inbound' | 'outbound'; reason: 'channel-limit' | 'down'; inUse: number; limit: number };
  }
}

export {};
