import test from 'ava';
import type { Channel } from '../channel/channel.js';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { silentLogger } from '../core/log.js';
import type { ManualClock } from '../core/testing/manual-clock.js';
import type { MessageRecorder, RecordedMessage } from '../ivr/ports.js';
import { IvrRunner } from '../ivr/runner.js';
import { parseFlow } from '../ivr/validator.js';
import { VoicemailBox } from '../ivr/voicemail-box.js';
import { openRig, type Rig } from '../workorders/testing/fixtures.js';
import { listenVoicemailOrders, VOICEMAIL_TYPE } from './voicemail-orders.js';

/** Records until '#' or hangup on the manual clock, like calls/message-recorder.ts does on the engine. */
class ClockRecorder implements MessageRecorder {
  private n = 0;
  constructor(private readonly clock: ManualClock) {}
  record(req: { callId: string; channel: Channel; signal: AbortSignal; endKeys?: string }): Promise<RecordedMessage> {
    const start = this.clock.monotonic();
    const id = `${req.callId}-vm${++this.n}`;
    return new Promise((resolve) => {
      const done = (endedBy: RecordedMessage['endedBy']): void => {
        req.channel.off('dtmf', onKey);
        resolve({ recording: `/data/recordings/2026/01/05/${id}.wav`, recordingId: `rec_${id}`, durationMs: this.clock.monotonic() - start, endedBy });
      };
      const onKey = (d: string): void => (req.endKeys ?? '#').includes(d) ? done('key') : undefined;
      req.channel.on('dtmf', onKey);
      req.signal.addEventListener('abort', () => done('hangup'), { once: true });
    });
  }
}

const flow = (orderType: string) =>
  parseFlow({
    id: 'leave-a-message',
    name: 'voicemail',
    start: 'msg',
    vars: { account: '041000000001' },
    nodes: {
      msg: { verb: 'voicemail', prompt: ['leave-message'], orderType, thanksPrompt: ['message-received'], next: 'bye' },
      bye: { verb: 'hangup', prompt: ['goodbye'] },
    },
  });

function setup(rig: Rig, orders = rig.svc) {
  const box = new VoicemailBox({ db: rig.store.db, clock: rig.clock, bus: rig.bus, recorder: new ClockRecorder(rig.clock) });
  const off = listenVoicemailOrders({
    bus: rig.bus,
    orders,
    box,
    customers: { lookupByPhone: (n) => ({ matches: n === '13937100001' ? [{ customerId: 'cust-1', name: '张三' }] : [] }) },
    log: silentLogger(),
  });
  return { box, off };
}

async function leaveMessage(rig: Rig, box: VoicemailBox, orderType: string, callId: string, end: (ch: FakeChannel) => void) {
  const channel = new FakeChannel({ clock: rig.clock, playMs: 1000, caller: '13937100001' });
  const run = new IvrRunner({ clock: rig.clock, log: silentLogger(), events: rig.bus, channel, flow: flow(orderType), callId, deps: { voicemail: box } }).run();
  await rig.clock.advanceAsync(1000 + 1000 + 9000, 100); // prompt, beep, 9 s of message
  end(channel);
  let settled = false;
  void run.finally(() => (settled = true));
  // The message is stored (SQLite), then the thanks and goodbye prompts play.
  for (let i = 0; i < 200 && !settled; i++) await rig.clock.advanceAsync(100, 100);
  return { channel, result: await run };
}

test("a caller's message becomes a work order of source 'voicemail' with the call, the recording, the number and the account", async (t) => {
  const rig = openRig();
  const { box, off } = setup(rig);
  t.teardown(async () => (off(), await rig.close()));
  const { result } = await leaveMessage(rig, box, 'complaint', 'call-1', (ch) => ch.press('#'));
  t.is(result.outcome, 'hungup'); // the flow's goodbye node
  await box.flush();

  const [msg] = await box.list();
  t.like(msg, { callId: 'call-1', caller: '13937100001', accountNo: '041000000001', orderType: 'complaint', endedBy: 'key', recordingId: 'rec_call-1-vm1', workOrderError: null });
  t.true(msg!.durationMs > 8500 && msg!.durationMs <= 9000, `${msg!.durationMs} ms`);
  t.truthy(msg!.workOrderId);
  t.is(result.vars.voicemail_id, msg!.id);
  t.is(result.vars.voicemail_order, msg!.workOrderId!);

  const order = rig.svc.get(msg!.workOrderId!);
  t.like(order, { typeId: 'complaint', source: 'voicemail', status: 'new', contactPhone: '13937100001', customerId: 'cust-1' });
  t.deepEqual(order.callIds, ['call-1']);
  t.deepEqual(order.recordingIds, ['rec_call-1-vm1']);
  t.regex(order.description, /户号 Account: 041000000001/);
  t.regex(order.description, /\/data\/recordings\/2026\/01\/05\/call-1-vm1\.wav/);
});

test("a box that is not a work-order type files under the 'voicemail' type, created once; a hang-up ends the message and it is kept", async (t) => {
  const rig = openRig();
  const { box, off } = setup(rig);
  t.teardown(async () => (off(), await rig.close()));
  const first = await leaveMessage(rig, box, 'voicemail-callback', 'call-1', (ch) => ch.remoteHangup());
  t.is(first.result.outcome, 'voicemail');
  await leaveMessage(rig, box, 'voicemail-callback', 'call-2', (ch) => ch.press('#'));
  await box.flush();
  const msgs = await box.list();
  t.is(msgs.length, 2);
  t.deepEqual(msgs.map((m) => m.endedBy).sort(), ['hangup', 'key']);
  const orders = msgs.map((m) => rig.svc.get(m.workOrderId!));
  t.deepEqual(orders.map((o) => o.typeId), ['voicemail', 'voicemail']);
  t.is(rig.svc.listTypes().filter((ty) => ty.id === VOICEMAIL_TYPE.id).length, 1);
  t.regex(orders[0]!.description, /留言类别 Box: voicemail-callback/);
});

test('when the work order cannot be made the message stays in the box with the reason', async (t) => {
  const rig = openRig();
  const failing = { listTypes: () => rig.svc.listTypes(), createType: rig.svc.createType.bind(rig.svc), create: () => { throw new Error('database is locked'); } };
  const { box, off } = setup(rig, failing as unknown as typeof rig.svc);
  t.teardown(async () => (off(), await rig.close()));
  const { result } = await leaveMessage(rig, box, 'complaint', 'call-9', (ch) => ch.press('#'));
  await box.flush();
  t.is(result.vars.voicemail_order, undefined);
  const [msg] = await box.list({ withoutOrder: true });
  t.like(msg, { callId: 'call-9', workOrderId: null, workOrderError: 'database is locked' });
});
