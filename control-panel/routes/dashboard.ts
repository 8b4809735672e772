/**
 * The signed-in home page: who you are, your roles, the system state, and (through the layout)
 * the navigation your permissions allow. The agent desktop, supervisor console, wallboard and
 * reports of issue 9 hang their entries off the same navigation as they arrive.
 */
import { html } from '../html.js';
import { ctx, type PanelServices } from '../http/context.js';
import { render } from '../layout.js';
import type { PanelRoute } from './types.js';

export function dashboardRoutes(s: PanelServices): PanelRoute[] {
  return [
    {
      method: 'get',
      path: '/',
      access: ['dashboard', 'view'],
      handler: (req, res) => {
        const c = ctx(res);
        const user = c.user!;
        const state = s.state?.();
        render(
          req,
          res,
          { title: 'dashboard.title' },
          html`<section class="dashboard">
<h1 id="welcome">${c.t('dashboard.welcome', { name: user.displayName })}</h1>
<dl>
<dt>${c.t('dashboard.roles')}</dt><dd id="roles">${user.roles.map((r) => c.t(`role.${r}`)).join('、')}</dd>
${state ? html`<dt>${c.t('dashboard.state')}</dt><dd id="state">${c.t(`state.${state}`)}</dd>` : ''}
</dl>
<p>${c.t('dashboard.coming')}</p>
</section>`,
        );
      },
    },
  ];
}
