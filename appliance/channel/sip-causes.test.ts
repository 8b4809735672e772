import test from 'ava';
import { HangupCauses } from './q850.js';
import { CAUSE_TO_SIP, causeForSipStatus, SIP_TO_CAUSE, sipStatusForCause } from './sip-causes.js';

test('RFC 3398 §8.2.6.1 cause → status, the rows call control uses', (t) => {
  t.is(sipStatusForCause(HangupCauses.USER_BUSY), 486);
  t.is(sipStatusForCause(HangupCauses.UNALLOCATED_NUMBER), 404);
  t.is(sipStatusForCause(HangupCauses.NO_USER_RESPONSE), 408);
  t.is(sipStatusForCause(HangupCauses.NO_ANSWER), 480);
  t.is(sipStatusForCause(HangupCauses.CALL_REJECTED), 403);
  t.is(sipStatusForCause(HangupCauses.NUMBER_CHANGED), 410);
  t.is(sipStatusForCause(HangupCauses.DESTINATION_OUT_OF_ORDER), 502);
  t.is(sipStatusForCause(HangupCauses.INVALID_NUMBER_FORMAT), 484);
  t.is(sipStatusForCause(HangupCauses.NO_CIRCUIT_AVAILABLE), 503);
  t.is(sipStatusForCause(HangupCauses.BEARERCAPABILITY_NOTIMPL), 488);
  t.is(sipStatusForCause(102), 504);
  t.is(sipStatusForCause(HangupCauses.INTERWORKING), 500);
});

test('RFC 3398 §7.2.4.1 status → cause, the rows call control uses', (t) => {
  t.is(causeForSipStatus(486), 17);
  t.is(causeForSipStatus(404), 1);
  t.is(causeForSipStatus(480), 18);
  t.is(causeForSipStatus(408), 102);
  t.is(causeForSipStatus(603), 21);
  t.is(causeForSipStatus(503), 41);
  t.is(causeForSipStatus(502), 38);
  t.is(causeForSipStatus(484), 28);
  t.is(causeForSipStatus(600), 17);
  t.is(causeForSipStatus(487), 16);
  t.is(causeForSipStatus(200), 16);
});

test('unlisted values fall back by class', (t) => {
  t.is(causeForSipStatus(499), 41, '4xx → as 400');
  t.is(causeForSipStatus(599), 41, '5xx → as 500');
  t.is(causeForSipStatus(699), 17, '6xx → as 600 (busy everywhere)');
  t.is(sipStatusForCause(25), 480);
  t.is(sipStatusForCause(44), 503);
  t.is(sipStatusForCause(95), 500);
});

test('round trip: busy, unallocated, rejected, no circuit and changed number survive both directions', (t) => {
  for (const cause of [17, 1, 21, 22, 28, 102]) t.is(causeForSipStatus(sipStatusForCause(cause)), cause, `cause ${cause}`);
  for (const status of [486, 404, 403, 410, 484, 504]) t.is(sipStatusForCause(causeForSipStatus(status)), status, `status ${status}`);
  t.true(Object.keys(CAUSE_TO_SIP).length >= 30);
  t.true(Object.keys(SIP_TO_CAUSE).length >= 35);
});
