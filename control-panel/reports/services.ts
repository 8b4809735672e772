/**
 * The report services the panel's report pages call (no SQL in the panel: every query lives in
 * the owning domain module — acd/reports.ts, ivr/reports.ts, workorders/reports.ts — and saved
 * definitions in reports/definition-store.ts). Built once per panel from the shared store.
 */
import { AcdReports } from '../../appliance/acd/reports.js';
import { IvrReports } from '../../appliance/ivr/reports.js';
import type { DatasetSources } from '../../appliance/reports/datasets.js';
import { ReportDefinitionStore } from '../../appliance/reports/definition-store.js';
import { WorkOrderReports } from '../../appliance/workorders/reports.js';
import type { PanelServices } from '../http/context.js';

export interface ReportServices extends DatasetSources {
  definitions: ReportDefinitionStore;
}

/** China's fixed offset; the appliance's local time for report periods. */
export const DEFAULT_UTC_OFFSET_MINUTES = 480;

export function reportServices(s: PanelServices, utcOffsetMinutes = DEFAULT_UTC_OFFSET_MINUTES): ReportServices {
  const db = s.store.db;
  return {
    acd: new AcdReports({ db, utcOffsetMinutes }),
    ivr: new IvrReports({ db }),
    workorders: new WorkOrderReports({ db }),
    definitions: new ReportDefinitionStore({ db, clock: s.clock, audit: s.audit }),
    utcOffsetMinutes,
  };
}
