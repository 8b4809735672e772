/**
 * hw-test pri-media: in-band services through the B channel of an ISDN PRI call (not just a
 * clear channel): the exchange (NET, span 2) calls the appliance (CPE, span 1), which answers;
 * then on that call's timeslot
 *  - DTMF both ways at once (spandsp Q.23 generator → A-law → Q.24 receiver): "95598#" from the
 *    caller, "0123456789*#" back from the appliance;
 *  - a one-page fax (T.30 over V.17/V.29/V.27ter, spandsp fax terminals), the caller sending;
 * and the call is cleared with cause 16 after the fax's phase E.
 *
 * Written against the Rig interface (harness/rig.ts): it runs on the simulated card and, with
 * HW_RIG=dahdi, on a real card with span 1 cabled to span 2 (the exchange on span 2 either way).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from '../../appliance/media/codec/g711.js';
import { Q850, type PriSignalling } from '../../drivers/libpri/pri-span.js';
import { SimExchange } from '../../drivers/sim/exchange.js';
import { bindPri } from '../../drivers/sim/pri-link.js';
import { DtmfGenerator, DtmfReceiver } from '../../drivers/spandsp/dtmf.js';
import { FaxTerminal } from '../../drivers/spandsp/fax.js';
import type { TdmChannel } from '../../drivers/types.js';
import { bearer, PRI_CPE, PRI_NET, rigTest, spansUp, type Rig } from '../harness/rig.js';

/** Runs `tx` into `out` every block and feeds what `inp` receives to `rx`, until stopped. */
function pump(rig: Rig, out: TdmChannel, inp: TdmChannel, tx: (pcm: Int16Array) => void, rx: (pcm: Int16Array) => void): () => void {
  const pcm = new Int16Array(160);
  const ticker = rig.everyBlock(out, () => {
    tx(pcm);
    out.write(encode('PCMA', pcm));
  });
  const onFrame = (f: Uint8Array): void => rx(decode('PCMA', f));
  inp.on('frame', onFrame);
  return () => {
    ticker.cancel();
    inp.off('frame', onFrame);
  };
}

rigTest('pri-media: DTMF both ways and a one-page fax through the B channel of an answered PRI call', {}, async (t, rig) => {
  const appSpan = await rig.card.openSpan(1, PRI_CPE);
  const netSpan = await rig.card.openSpan(2, PRI_NET);
  await spansUp(rig, [appSpan, netSpan]);
  const cpe = bindPri(appSpan, { side: 'cpe' }, { clock: rig.signallingClock, log: rig.log });
  const exchange = new SimExchange({ span: netSpan }, { clock: rig.clock, signallingClock: rig.signallingClock, log: rig.log });
  t.teardown(() => {
    exchange.close();
    cpe.close();
  });
  await rig.until(exchange.waitDchanUp(3000), 3000, 'D channel up');
  const pri: PriSignalling = cpe.pri;
  pri.on('ring', (r) => pri.answer(r.channel));
  const placed = exchange.placeCall({ calling: '037160001234', called: '95598' });
  if (!placed.ok) return t.fail(placed.reason);
  await rig.until(placed.call.waitFor('connected', 3000), 3000, 'answered');
  const ts = placed.call.channel;
  const caller = bearer(netSpan, ts);
  const app = bearer(appSpan, ts);

  // DTMF both ways at once.
  const genCaller = new DtmfGenerator();
  const genApp = new DtmfGenerator();
  const atApp: string[] = [];
  const atCaller: string[] = [];
  const rxApp = new DtmfReceiver((d) => atApp.push(d));
  const rxCaller = new DtmfReceiver((d) => atCaller.push(d));
  const stops = [pump(rig, caller, app, (p) => genCaller.generate(p), (p) => rxApp.push(p)), pump(rig, app, caller, (p) => genApp.generate(p), (p) => rxCaller.push(p))];
  t.teardown(() => {
    for (const s of stops) s();
    for (const x of [genCaller, genApp, rxApp, rxCaller]) x.close();
  });
  genCaller.put('95598#');
  genApp.put('0123456789*#');
  await rig.run(2000);
  for (const s of stops.splice(0)) s();
  t.is(atApp.join(''), '95598#', 'the caller’s digits reached the appliance');
  t.is(atCaller.join(''), '0123456789*#', 'the appliance’s digits reached the caller');

  // A fax through the same call.
  const dir = mkdtempSync(join(tmpdir(), 'hw-pri-fax-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ps = join(dir, 'page.ps');
  const page = join(dir, 'page.tif');
  writeFileSync(ps, '%!PS\n/Helvetica findfont 24 scalefont setfont 72 700 moveto (95598 fax over a PRI call) show showpage\n');
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-sDEVICE=tiffg3', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${page}`, ps]);
  const sender = new FaxTerminal({ role: 'caller', direction: 'send', file: page, ident: '+86 371 6000 1234' });
  const receiver = new FaxTerminal({ role: 'answerer', direction: 'receive', file: join(dir, 'rx.tif'), ident: '95598 FAX' });
  t.teardown(() => {
    sender.close();
    receiver.close();
  });
  stops.push(
    pump(rig, caller, app, (p) => sender.tx(p), (p) => receiver.rx(p)),
    pump(rig, app, caller, (p) => receiver.tx(p), (p) => sender.rx(p)),
  );
  const started = rig.now;
  await rig.until(() => sender.outcome !== null && receiver.outcome !== null, 120_000, 'phase E');
  for (const s of stops.splice(0)) s();
  t.log(`fax over the PRI call: ${((rig.now - started) / 1000).toFixed(1)} s of line time at ${receiver.outcome?.stats.bitRate} bit/s`);
  t.like(sender.outcome, { ok: true, completionCode: 0, remoteIdent: '95598 FAX' });
  t.like(receiver.outcome, { ok: true, completionCode: 0, remoteIdent: '+86 371 6000 1234' });
  t.is(receiver.outcome?.stats.pagesRx, 1);

  const cleared = new Promise<{ cause: number }>((resolve) => pri.on('hangup', resolve));
  placed.call.hangup(Q850.NORMAL_CLEARING);
  t.like(await rig.until(cleared, 2000, 'hangup at the appliance'), { cause: 16 });
});
