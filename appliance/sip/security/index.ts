/**
 * SIP security (RELIABILITY.md S4, S5, S8–S11): the firewall in front of the transaction layer,
 * IP bans, and the authentication failure policy. The public surface of appliance/sip/security.
 */
export * from './address-set.js';
export * from './auth-guard.js';
export * from './ban-list.js';
export * from './security-events.js';
export * from './sip-firewall.js';
export * from './sliding-window.js';
