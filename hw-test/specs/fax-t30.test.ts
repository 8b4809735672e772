/**
 * hw-test fax-t30: a one-page fax (ITU-T T.30 over V.17/V.29/V.27ter, spandsp's fax terminals)
 * from span 1 to span 2 through one B channel of the crossover, 20 ms A-law blocks each way on
 * the card's clock. Both ends must reach phase E with completion code 0 and one page received.
 *
 * Written against the Rig interface (harness/rig.ts): it runs on the simulated card and, with
 * HW_RIG=dahdi, on a real card with span 1 cabled to span 2 (the exchange on span 2 either way).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from '../../appliance/media/codec/g711.js';
import { FaxTerminal } from '../../drivers/spandsp/fax.js';
import type { TdmChannel } from '../../drivers/types.js';
import { CLEAR, rigTest, spansUp, type Rig } from '../harness/rig.js';

function renderPage(dir: string): string {
  const ps = join(dir, 'page.ps');
  const tif = join(dir, 'page.tif');
  writeFileSync(
    ps,
    [
      '%!PS-Adobe-3.0',
      '<< /PageSize [595 842] >> setpagedevice',
      '/Helvetica-Bold findfont 28 scalefont setfont 72 760 moveto (95598 hw-test fax over E1) show',
      '/Helvetica findfont 12 scalefont setfont',
      ...Array.from({ length: 12 }, (_, i) => `72 ${700 - i * 24} moveto (Work order ${2000 + i}: span 1 to span 2, timeslot 1.) show`),
      'showpage',
      '',
    ].join('\n'),
  );
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-sDEVICE=tiffg3', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${tif}`, ps]);
  return tif;
}

/** One fax terminal on one B channel: every received block in, one block out. */
function attach(rig: Rig, fax: FaxTerminal, ch: TdmChannel): () => void {
  const out = new Int16Array(160);
  const onBlock = (f: Uint8Array): void => fax.rx(decode('PCMA', f));
  ch.on('frame', onBlock);
  const ticker = rig.everyBlock(ch, () => {
    fax.tx(out);
    ch.write(encode('PCMA', out));
  });
  return () => {
    ticker.cancel();
    ch.off('frame', onBlock);
  };
}

rigTest('fax-t30: one page span 1 → span 2 through a B channel, completion 0 at both ends', {}, async (t, rig) => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-fax-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const page = renderPage(dir);

  const s1 = await rig.card.openSpan(1, CLEAR);
  const s2 = await rig.card.openSpan(2, CLEAR);
  await spansUp(rig, [s1, s2]);

  const caller = new FaxTerminal({ role: 'caller', direction: 'send', file: page, ident: '+86 371 95598' });
  const answerer = new FaxTerminal({ role: 'answerer', direction: 'receive', file: join(dir, 'rx.tif'), ident: 'HOTLINE RX' });
  const stops = [attach(rig, caller, s1.bChannels[0] as TdmChannel), attach(rig, answerer, s2.bChannels[0] as TdmChannel)];
  t.teardown(() => {
    for (const s of stops) s();
    caller.close();
    answerer.close();
  });

  const started = rig.now;
  await rig.until(() => caller.outcome !== null && answerer.outcome !== null, 120_000, 'phase E at both ends');
  t.log(`fax done after ${((rig.now - started) / 1000).toFixed(1)} s of line time; ${answerer.outcome?.stats.bitRate} bit/s, ECM ${answerer.outcome?.stats.errorCorrectingMode}`);
  t.like(caller.outcome, { completionCode: 0, ok: true, remoteIdent: 'HOTLINE RX' });
  t.like(answerer.outcome, { completionCode: 0, ok: true, remoteIdent: '+86 371 95598' });
  t.is(answerer.outcome?.stats.pagesRx, 1);
  const info = execFileSync('tiffinfo', [join(dir, 'rx.tif')], { encoding: 'utf8' });
  t.regex(info, /Image Width: 1728/);
});
