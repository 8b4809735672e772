/**
 * What a trunk sends on its own, outside any dialog (REGISTER, OPTIONS): one non-INVITE client
 * transaction per request (RFC 3261 §17.1.2) through the endpoint's transaction layer, resolved
 * with the final response, or null when Timer F fired or the transport failed ("the client
 * transaction SHOULD inform the TU that a timeout has occurred", §17.1.2.2). A port, so the
 * registration client and the qualifier run on a fake in tests with the ManualClock.
 */
import type { NextHop } from '../dialog/dialog.js';
import { Contact, sipUri, type SipRequest, type SipResponse } from '../message/index.js';
import type { SipEndpoint } from '../ua/endpoint.js';

export interface SipRequester {
  /** The final response, or null on timeout / transport error. */
  send(req: SipRequest, hop: NextHop): Promise<SipResponse | null>;
  /** Our Contact for a transport, with `user` as its user part. */
  contact(user: string, protocol: NextHop['protocol']): Contact;
}

/** SipRequester over a listening SipEndpoint; `advertise` replaces a wildcard bind address (0.0.0.0) in our Contact. */
export function endpointRequester(endpoint: () => SipEndpoint | null, advertise?: () => string | null): SipRequester {
  return {
    send(req, hop) {
      const ep = endpoint();
      if (!ep) return Promise.resolve(null);
      return new Promise((resolve) => {
        try {
          ep.layer.sendRequest(req, hop, {
            onResponse: (res) => {
              if (res.status >= 200) resolve(res);
            },
            onError: () => resolve(null),
          });
        } catch {
          resolve(null);
        }
      });
    },
    contact(user, protocol) {
      const ep = endpoint();
      const addr = ep?.address(protocol) ?? ep?.transports[0]?.localAddress() ?? { host: '127.0.0.1', port: 5060 };
      const params = new Map<string, string | null>();
      if (protocol !== 'udp') params.set('transport', protocol);
      const host = addr.host === '0.0.0.0' || addr.host === '::' ? (advertise?.() ?? addr.host) : addr.host;
      return new Contact(sipUri({ user, host, port: addr.port, params }));
    },
  };
}
