/**
 * sip/dialog/nat.ts: when a dialog's requests go to the NAT binding instead of the Contact.
 */
import test from 'ava';
import { parseMessage } from '../parser/index.js';
import { parseUri, type SipRequest, type SipResponse } from '../message/index.js';
import { uacFlow, uasFlow } from './nat.js';

function invite(via: string): SipRequest {
  const m = parseMessage(
    Buffer.from(
      `INVITE sip:7000@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${via};branch=z9hG4bK1\r\nFrom: <sip:1001@x>;tag=a\r\nTo: <sip:7000@x>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@192.168.1.20:5060>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    ),
  );
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

function ok(contact: string): SipResponse {
  const m = parseMessage(Buffer.from(`SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=a\r\nTo: <sip:b@x>;tag=b\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <${contact}>\r\nContent-Length: 0\r\n\r\n`));
  if (m.kind !== 'response') throw new Error('not a response');
  return m;
}

const src = { host: '203.0.113.5', port: 40000, protocol: 'udp' as const, connectionId: null };

test('UAS: an INVITE from another host than its Via sent-by (NAT) → the source; from its sent-by → none', (t) => {
  t.deepEqual(uasFlow(invite('192.168.1.20:5060;rport'), src, 'udp'), { host: '203.0.113.5', port: 40000, protocol: 'udp' });
  t.deepEqual(uasFlow(invite('192.168.1.20:5060'), src, 'udp'), { host: '203.0.113.5', port: 40000, protocol: 'udp' }, 'no rport: the host alone says NAT');
  t.is(uasFlow(invite('203.0.113.5:40000;rport'), src, 'udp'), null, 'not NATed');
  t.deepEqual(uasFlow(invite('203.0.113.5:5060;rport'), src, 'udp'), { host: '203.0.113.5', port: 40000, protocol: 'udp' }, 'rport and another port: a port-rewriting NAT');
  t.is(uasFlow(invite('203.0.113.5:5060'), src, 'udp'), null, 'another port without rport: RFC 3261 sends to the Via port');
});

test('UAC: INVITE sent to a hop other than the Request-URI and answered from that Contact → the hop; a carrier answering with another Contact → none', (t) => {
  const hop = { host: '203.0.113.5', port: 40000, protocol: 'udp' as const };
  const ruri = parseUri('sip:1002@192.168.1.20:5060');
  t.deepEqual(uacFlow(ruri, hop, ok('sip:1002@192.168.1.20:5060')), hop);
  t.is(uacFlow(ruri, hop, ok('sip:1002@198.51.100.7:5060')), null, 'another Contact: the remote target wins');
  t.is(uacFlow(parseUri('sip:1002@203.0.113.5:40000'), hop, ok('sip:1002@203.0.113.5:40000')), null, 'sent to the Request-URI itself');
  t.is(uacFlow(parseUri('sip:123@carrier.example'), hop, ok('sip:123@carrier.example')), null, 'a host name is not a NAT binding');
});
