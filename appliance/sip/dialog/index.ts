/** SIP dialogs and INVITE sessions (RFC 3261 §12–§15, RFC 4028, RFC 3326): the public surface of appliance/sip/dialog. */
export * from './dialog.js';
export * from './session.js';
export * from './session-timer.js';
