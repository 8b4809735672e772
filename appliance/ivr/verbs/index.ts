/**
 * makeVerb (jambonz's make_task.js): one validated node → its verb object. The table is the
 * single place a verb name meets its implementation.
 */
import type { FlowNode, NodeOf, VerbName } from '../flow-schema.js';
import { CalendarVerb } from './calendar.js';
import { CollectVerb } from './collect.js';
import { EnqueueVerb } from './enqueue.js';
import { FaxVerb } from './fax.js';
import { GotoVerb } from './goto.js';
import { HangupVerb } from './hangup.js';
import { LookupVerb } from './lookup.js';
import { MenuVerb } from './menu.js';
import { OutageVerb } from './outage.js';
import { PlayVerb } from './play.js';
import { ReturnVerb } from './return.js';
import { SayVerb } from './say.js';
import { SetVerb } from './set.js';
import { SubflowVerb } from './subflow.js';
import { SurveyVerb } from './survey.js';
import { SwitchVerb } from './switch.js';
import { TransferVerb } from './transfer.js';
import { VoicemailVerb } from './voicemail.js';
import type { Verb } from './verb.js';

type Factories = { [V in VerbName]: new (id: string, node: NodeOf<V>) => Verb<NodeOf<V>> };

const VERBS: Factories = {
  play: PlayVerb,
  menu: MenuVerb,
  collect: CollectVerb,
  say: SayVerb,
  lookup: LookupVerb,
  switch: SwitchVerb,
  set: SetVerb,
  calendar: CalendarVerb,
  enqueue: EnqueueVerb,
  transfer: TransferVerb,
  voicemail: VoicemailVerb,
  fax: FaxVerb,
  survey: SurveyVerb,
  goto: GotoVerb,
  subflow: SubflowVerb,
  return: ReturnVerb,
  hangup: HangupVerb,
  outage: OutageVerb,
};

export function makeVerb(id: string, node: FlowNode): Verb {
  const Ctor = VERBS[node.verb] as new (id: string, node: FlowNode) => Verb;
  return new Ctor(id, node);
}
