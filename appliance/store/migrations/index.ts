/**
 * Numbered schema migrations, applied in order at boot, each in its own transaction together
 * with its `schema_version` row. Never edit a migration that has shipped: add the next number.
 * Tables are STRICT; enums are TEXT with a CHECK (STYLE.md "Naming").
 */
import { m0001_core } from './0001-core.js';
import { m0002_api_keys } from './0002-api-keys.js';
import { m0003_webhooks } from './0003-webhooks.js';
import { m0004_workorders } from './0004-workorders.js';
import { m0005_panel_auth } from './0005-panel-auth.js';
import { m0006_acd } from './0006-acd.js';
import { m0007_ivr } from './0007-ivr.js';
import { m0008_customers_knowledge } from './0008-customers-knowledge.js';
import { m0009_acd_config } from './0009-acd-config.js';
import { m0010_sip_registrar } from './0010-sip-registrar.js';
import { m0011_calls } from './0011-calls.js';
import { m0012_workorders_2 } from './0012-workorders-2.js';
import { m0013_reports } from './0013-reports.js';
import { m0014_outage_notify } from './0014-outage-notify.js';
import { m0015_sla_escalation } from './0015-sla-escalation.js';
import { m0016_diagnostic_routes } from './0016-diagnostic-routes.js';
import { m0017_trunks } from './0017-trunks.js';
import { m0018_ivr_call_records } from './0018-ivr-call-records.js';
import { m0019_call_transfers } from './0019-call-transfers.js';
import { m0020_recordings } from './0020-recordings.js';
import { m0021_ivr_voicemail } from './0021-ivr-voicemail.js';
import { m0022_customer_history_deliveries } from './0022-customer-history-deliveries.js';
import { m0023_appointments } from './0023-appointments.js';
import { m0024_cdr_replaces } from './0024-cdr-replaces.js';
import { m0025_recording_archive } from './0025-recording-archive.js';
import { m0026_acd_departments } from './0026-acd-departments.js';

export interface Migration {
  version: number;
  name: string;
  /** SQL run with `exec` inside the migration's transaction. */
  up: string;
}

export const migrations: readonly Migration[] = [m0001_core, m0002_api_keys, m0003_webhooks, m0004_workorders, m0005_panel_auth, m0006_acd, m0007_ivr, m0008_customers_knowledge, m0009_acd_config, m0010_sip_registrar, m0011_calls, m0012_workorders_2, m0013_reports, m0014_outage_notify, m0015_sla_escalation, m0016_diagnostic_routes, m0017_trunks, m0018_ivr_call_records, m0019_call_transfers, m0020_recordings, m0021_ivr_voicemail, m0022_customer_history_deliveries, m0023_appointments, m0024_cdr_replaces, m0025_recording_archive, m0026_acd_departments];
