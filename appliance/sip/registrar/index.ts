/**
 * The SIP registrar (RFC 3261 §10.3) and the extensions it serves: the public surface of
 * appliance/sip/registrar. The daemon builds `ExtensionService` + `Registrar` on
 * `SqliteSipStore`; the B2BUA calls `registrar.lookup(aor)` and delegates REGISTER to
 * `registrar.handleRegister`.
 */
export * from './bindings.js';
export * from './extension-service.js';
export * from './handler.js';
export * from './registrar.js';
export * from './sip-store.js';
export * from './stack.js';
