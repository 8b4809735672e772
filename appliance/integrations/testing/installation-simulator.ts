/**
 * SIMULATOR of a utility's business-expansion system (业扩报装), for the demo and the tests.
 * Applications move through the stages of the State Grid low-voltage process (受理 → 现场勘查 →
 * 供电方案答复 → 工程设计 → 工程施工 → 竣工检验 → 装表接电 → 归档):
 *
 *   GET /v1/applications/<applicationNo>   → { applicationNo, applicant, kind, capacityKva,
 *                                              stage, stageNo, stageCount, submittedAt,
 *                                              stageUpdatedAt, nextStep, handlerPhone }
 *
 * Times are RFC 3339 in +08:00. Fault injection comes from sim-server.ts.
 */
import type { Clock } from '../../core/clock.js';
import { rfc3339 } from './gis-simulator.js';
import { notFound, SimServer, type SimAnswer, type SimRequest, type SimServerOptions } from './sim-server.js';

export const InstallationStages = ['受理', '现场勘查', '供电方案答复', '工程设计', '工程施工', '竣工检验', '装表接电', '归档'] as const;

const NEXT_STEP: Readonly<Record<string, string>> = {
  受理: '工作人员将在3个工作日内联系您预约现场勘查',
  现场勘查: '勘查完成后将答复供电方案',
  供电方案答复: '请按供电方案委托设计单位开展设计',
  工程设计: '设计审查通过后即可开工',
  工程施工: '施工完成后请申请竣工检验',
  竣工检验: '检验合格后将安排装表接电',
  装表接电: '接电完成后资料归档',
  归档: '报装已全部完成',
};

export interface SimApplication {
  applicationNo: string;
  applicant: string;
  kind: string;
  capacityKva: number;
  stageNo: number;
  submittedAt: number;
  stageUpdatedAt: number;
  handlerPhone: string;
}

const DAY = 86_400_000;

export class InstallationSimulator {
  readonly server: SimServer;
  private readonly apps = new Map<string, SimApplication>();

  constructor(private readonly opts: SimServerOptions & { clock: Clock }) {
    this.server = new SimServer((r) => this.handle(r), opts);
  }

  get url(): string {
    return this.server.url;
  }

  get token(): string {
    return this.server.token;
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  put(a: SimApplication): void {
    this.apps.set(a.applicationNo, { ...a });
  }

  advance(applicationNo: string, at = this.opts.clock.now()): void {
    const a = this.apps.get(applicationNo);
    if (!a) throw new Error(`no application ${applicationNo}`);
    a.stageNo = Math.min(a.stageNo + 1, InstallationStages.length);
    a.stageUpdatedAt = at;
  }

  /** `n` applications 2026010001… spread over the stages. */
  seed(n = 12, now = this.opts.clock.now()): SimApplication[] {
    const kinds = ['低压居民新装', '低压非居民新装', '高压新装', '增容', '充电桩报装'];
    const names = ['王伟', '李娜', '郑州宏达机械厂', '张敏', '金水区第三小学', '刘洋'];
    const out: SimApplication[] = [];
    for (let i = 1; i <= n; i++) {
      const stageNo = ((i - 1) % InstallationStages.length) + 1;
      const a: SimApplication = {
        applicationNo: `202601${String(i).padStart(4, '0')}`,
        applicant: names[i % names.length]!,
        kind: kinds[i % kinds.length]!,
        capacityKva: i % 5 === 2 ? 630 : 8 + (i % 4) * 4,
        stageNo,
        submittedAt: now - (stageNo * 3 + 2) * DAY,
        stageUpdatedAt: now - (i % 3) * DAY,
        handlerPhone: `0371-6${String(5_500_000 + i).slice(-7)}`,
      };
      this.put(a);
      out.push(a);
    }
    return out;
  }

  private handle(r: SimRequest): SimAnswer {
    if (r.method !== 'GET' || r.parts[0] !== 'v1' || r.parts[1] !== 'applications' || r.parts.length !== 3) return notFound(r.url.pathname);
    const a = this.apps.get(r.parts[2]!);
    if (!a) return notFound(`application ${r.parts[2]}`);
    const stage = InstallationStages[a.stageNo - 1]!;
    return {
      status: 200,
      body: {
        applicationNo: a.applicationNo,
        applicant: a.applicant,
        kind: a.kind,
        capacityKva: a.capacityKva,
        stage,
        stageNo: a.stageNo,
        stageCount: InstallationStages.length,
        submittedAt: rfc3339(a.submittedAt),
        stageUpdatedAt: rfc3339(a.stageUpdatedAt),
        nextStep: NEXT_STEP[stage],
        handlerPhone: a.handlerPhone,
      },
    };
  }
}
