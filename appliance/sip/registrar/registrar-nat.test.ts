/**
 * The registrar for a phone behind NAT (issue 3): the REGISTER's Contact names the phone's
 * private address, the request arrives from the NAT's public one. The binding keeps the Contact
 * as the Request-URI for calls to the phone and the source (RFC 3581 received/rport) as where
 * to send them; the 200 lists the Contact as registered (RFC 3261 §10.3 step 8) so the phone
 * recognises its binding. In-dialog requests then follow the same source (sip/dialog/nat.ts).
 */
import test from 'ava';
import { isSipUri } from '../message/index.js';
import { buildRig } from './testing/rig.js';

test('NATed phone: Contact 192.168.1.20 from source 203.0.113.5:40000 → lookup sends to the source with the Contact as Request-URI', async (t) => {
  const rig = buildRig({});
  t.teardown(() => rig.close());
  rig.extensions.create({ number: '1001', displayName: 'Agent One', password: 'secret-1001' });
  const phone = rig.phone('203.0.113.5', 40000);
  const contacts = ['<sip:1001@192.168.1.20:5060>'];
  t.is(phone.register({ noAuth: true, contacts })?.status, 401);
  const ok = phone.register({ expires: 600, contacts });
  t.is(ok?.status, 200);
  t.deepEqual(ok?.headers.getAll('contact'), ['<sip:1001@192.168.1.20:5060>;expires=600'], 'the phone sees its own Contact bound');
  const [c] = rig.registrar.lookup('1001');
  t.like(c, { destination: { host: '203.0.113.5', port: 40000, protocol: 'udp' } });
  t.true(!!c && isSipUri(c.uri) && c.uri.host === '192.168.1.20' && c.uri.port === 5060, 'Request-URI: the registered Contact');
  t.deepEqual(rig.registrar.locate('1001')[0]?.hop, { host: '203.0.113.5', port: 40000, protocol: 'udp' }, 'the B2BUA’s hop is the NAT binding');
});
