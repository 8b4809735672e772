/**
 * SIP transactions, RFC 3261 §17 with RFC 6026: the public surface of appliance/sip/transaction.
 * Imports only the transport, parser and message layers below; talks upward only through
 * TransactionUser / ClientTransactionUser / ServerTransactionUser.
 */
export * from './invite-client.js';
export * from './invite-server.js';
export * from './keys.js';
export * from './layer.js';
export * from './messages.js';
export * from './non-invite-client.js';
export * from './non-invite-server.js';
export * from './server-transaction.js';
export * from './timers.js';
export * from './transaction.js';
