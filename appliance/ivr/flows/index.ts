/**
 * The default flow shipped with the appliance: a 95598-style utility hotline (欢迎致电… 1 电费
 * 查询 via the billing adapter by 户号, 2 停电查询 via GIS by area, 3 故障报修 → repair queue,
 * 0 人工 → agents, with voicemail when agents are closed or the queue is full), its Chinese
 * prompt texts (what the recordings say; also the input for TTS-rendering the prompt set), and
 * the names it expects the appliance to provide. Before the menu, an `outage` node announces a
 * known outage in the caller's area and offers a restoration notice; a large outage switches
 * to the short surge menu. 4 抄表读数申报 submits a meter reading to billing; 5 报装进度 reads
 * the installation system's stage.
 */
import type { Flow } from '../flow-schema.js';
import { PROMPT_TEXT_ZH } from '../say/zh.js';
import { parseFlow } from '../validator.js';
import flow95598 from './95598.json' with { type: 'json' };
import promptsZh from './prompts-zh.json' with { type: 'json' };

export const DEFAULT_FLOW_JSON: unknown = flow95598;
export const DEFAULT_PROMPTS_ZH: Readonly<Record<string, string>> = promptsZh;

/** What the default flow refers to: configure these (or edit the flow) before going live. */
export const DEFAULT_FLOW_NEEDS = {
  queues: ['repair', 'general'],
  adapters: ['billing', 'gis', 'installation'],
  calendars: ['hotline-agents'],
} as const;

export function defaultFlow(): Flow {
  return parseFlow(flow95598);
}

/**
 * The Chinese text of a prompt the appliance can render by TTS when the prompt library has no
 * recording of it: the default flow's prompts, and the say module's pieces (数字, 十百千万, 元角分,
 * 年月日…) that `say` reads a balance or a restoration time with.
 */
export function promptTextZh(name: string): string | undefined {
  return DEFAULT_PROMPTS_ZH[name] ?? (PROMPT_TEXT_ZH as Readonly<Record<string, string>>)[name];
}

/** Every distinct text promptTextZh knows, the flow's prompts first (the order to render them in). */
export function promptTextsZh(): string[] {
  return [...new Set([...Object.values(DEFAULT_PROMPTS_ZH), ...Object.values(PROMPT_TEXT_ZH)])];
}
