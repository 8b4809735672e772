/**
 * First-start setup (issue 9: "first start forces the administrator to set a password (no
 * working default password)"). The daemon stores a one-time code (appliance/ops/setup-code.ts)
 * and prints it once; `completeSetup` consumes that code and creates the first administrator
 * in one transaction, so a failure leaves the code usable and no half-made user behind.
 * Setup is done once any user exists or the code has been consumed.
 */
import type { Clock } from '../../appliance/core/clock.js';
import { ValidationError } from '../../appliance/core/errors.js';
import type { AuditLog } from '../../appliance/ops/audit.js';
import { consumeSetupCode, SETUP_DONE_KEY } from '../../appliance/ops/setup-code.js';
import type { Store } from '../../appliance/store/database.js';
import type { PanelUser, Users } from './users.js';

export async function isSetupDone(store: Store, users: Users): Promise<boolean> {
  if ((await users.count()) > 0) return true;
  const row = await store.db.selectFrom('settings').select('key').where('key', '=', SETUP_DONE_KEY).executeTakeFirst();
  return row !== undefined;
}

export async function completeSetup(
  deps: { store: Store; users: Users; clock: Clock; audit: AuditLog },
  input: { code: string; login: string; displayName: string; password: string },
  ip: string,
): Promise<PanelUser> {
  return deps.store.db.transaction().execute(async (trx) => {
    // Same connection as the Kysely transaction: better-sqlite3 nests it as a savepoint.
    if (!consumeSetupCode(deps.store, input.code, deps.clock)) {
      throw new ValidationError('bad setup code', [{ path: 'code', message: 'setup.bad-code' }]);
    }
    const user = await deps.users.create(
      { login: input.login, displayName: input.displayName, password: input.password, roles: ['admin'], mustChangePassword: false },
      { actor: 'setup', ip },
      trx,
    );
    await deps.audit.record({ actor: 'setup', ip, action: 'setup.completed', target: user.id }, trx);
    return user;
  });
}
