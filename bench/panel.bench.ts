/**
 * `npm run bench -- panel [seconds]`: the control panel under issue 9's acceptance load —
 * 200 concurrent signed-in users requesting pages and htmx fragments, while 500 wallboard
 * clients hold SSE streams that every agent state change fans out to. Target: p95 < 50 ms for
 * pages and fragments.
 *
 * Setup: the live rig (control-panel/testing/live-rig.ts: real ACD, work orders, IVR editor on
 * a temp SQLite file) behind a real HTTP listener on 127.0.0.1; 100 agents, 80 supervisors
 * (department d1) and 20 administrators signed in (sessions made through the service, cookies
 * as the browser holds them).
 *
 * Phase 1, open loop (what 200 people do): each user asks for one of their role's pages or
 * fragments, thinks 0.5–1.5 s, asks again (≈200 requests/s). Meanwhile an agent's status flips
 * every 100 ms, and each flip is fanned out to the 500 wallboard streams; the delay from the flip
 * to each client's receipt is measured. Phase 2, closed loop (saturation): the 200 users with no
 * think time, for the throughput ceiling. Load generator, server and SSE clients share one
 * Node process, and the machine is shared: `loadavg` is printed with the figures.
 */
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { startLiveRig } from '../control-panel/testing/live-rig.js';

const SECONDS = Number(process.argv[2] ?? 10);
const USERS = { agent: 100, supervisor: 80, admin: 20 } as const;
const SSE_CLIENTS = 500;
const FLIP_MS = 100;

const PATHS: Record<keyof typeof USERS, Array<[string, boolean]>> = {
  agent: [['/desk', false], ['/desk', true], ['/desk/todo', true], ['/', false]],
  supervisor: [['/supervisor', false], ['/supervisor/queues', true], ['/supervisor/agents', true], ['/supervisor/calls', true], ['/wallboard', true]],
  // Administrators hold no business data (least privilege): no /reports here.
  admin: [['/admin/users', false], ['/admin/sessions', true], ['/admin/audit', false], ['/', false]],
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 1000 });

function get(port: number, p: string, cookie: string, hx: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent, headers: { cookie, ...(hx && { 'HX-Request': 'true' }) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

function summary(name: string, xs: number[], seconds: number): void {
  console.log(
    `${name.padEnd(28)} n=${String(xs.length).padStart(6)}  ${(xs.length / seconds).toFixed(0).padStart(5)}/s  p50=${pct(xs, 50).toFixed(1)} ms  p95=${pct(xs, 95).toFixed(1)} ms  p99=${pct(xs, 99).toFixed(1)} ms  max=${Math.max(...xs).toFixed(1)} ms`,
  );
}

const rig = await startLiveRig({ withIvr: true, withCallControl: true });
const { users, sessions } = rig.h.panel.services;
const by = { actor: 'bench', ip: null };
const port = Number(new URL(rig.h.base).port);
const people: Array<{ role: keyof typeof USERS; cookie: string }> = [];
for (const role of Object.keys(USERS) as Array<keyof typeof USERS>) {
  for (let i = 0; i < USERS[role]; i++) {
    const u = await users.create({ login: `${role}${i}`, displayName: `${role} ${i}`, password: 'bench-password-123', roles: [role], mustChangePassword: false }, by);
    if (role === 'supervisor') await users.update(u.id, { departmentId: 'd1' }, by);
    const access = await users.access(u.id);
    const { token } = await sessions.create(u.id, { ip: '127.0.0.1', userAgent: 'bench', privileged: access.permissions.privileged });
    people.push({ role, cookie: `sid=${token}` });
  }
}
// Every path of every role must answer 200 before anything is timed: a refused page is a bench bug.
for (const role of Object.keys(PATHS) as Array<keyof typeof PATHS>) {
  const p = people.find((x) => x.role === role)!;
  for (const [path, hx] of PATHS[role]) if ((await get(port, path, p.cookie, hx)) !== 200) throw new Error(`${role} cannot open ${path}`);
}

// 500 wallboard streams (supervisors' sessions, several streams per session as several TVs would).
const sups = people.filter((p) => p.role === 'supervisor');
let flipAt = 0;
const fanout: number[] = [];
const streams: http.ClientRequest[] = [];
let opened = 0;
await new Promise<void>((resolve, reject) => {
  for (let i = 0; i < SSE_CLIENTS; i++) {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/events/stream?view=wallboard', headers: { cookie: sups[i % sups.length]!.cookie, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`stream ${i}: ${res.statusCode}`));
        if (++opened === SSE_CLIENTS) resolve();
        res.on('error', () => undefined);
        res.setEncoding('utf8');
        let seen = 0;
        res.on('data', (chunk: string) => {
          if (chunk.includes('event: oob') && flipAt > seen) {
            seen = flipAt;
            fanout.push(performance.now() - flipAt);
          }
        });
      },
    );
    req.on('error', () => undefined);
    streams.push(req);
  }
});
console.log(`panel bench: ${people.length} signed-in users, ${SSE_CLIENTS} wallboard SSE streams open; ${os.cpus().length} cpus, loadavg ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

let flips = 0;
const flipper = setInterval(() => {
  flips++;
  flipAt = performance.now();
  rig.acd.setStatus('a1', flips % 2 ? 'available' : 'on-break', flips % 2 ? null : 'rest');
}, FLIP_MS);

/** Non-200 answers by status and path, so a run says what they were (0 = no answer). */
const refusals = new Map<string, number>();

async function run(seconds: number, think: boolean): Promise<{ pages: number[]; fragments: number[]; errors: number }> {
  const pages: number[] = [];
  const fragments: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    people.map(async (p, i) => {
      let k = i;
      if (think) await new Promise((r) => setTimeout(r, Math.random() * 1000));
      while (performance.now() < until) {
        const [path, hx] = PATHS[p.role][k++ % PATHS[p.role].length]!;
        const t0 = performance.now();
        const status = await get(port, path, p.cookie, hx).catch(() => 0);
        (hx ? fragments : pages).push(performance.now() - t0);
        if (status !== 200) {
          errors++;
          const what = `${status} ${p.role} ${path}`;
          refusals.set(what, (refusals.get(what) ?? 0) + 1);
        }
        if (think) await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
      }
    }),
  );
  return { pages, fragments, errors };
}

const open = await run(SECONDS, true);
const fanOpen = fanout.splice(0);
console.log(`\nphase 1: open loop, 200 users thinking 0.5–1.5 s, ${SECONDS} s; an agent status flip every ${FLIP_MS} ms`);
summary('pages', open.pages, SECONDS);
summary('fragments', open.fragments, SECONDS);
summary('pages + fragments', [...open.pages, ...open.fragments], SECONDS);
summary(`SSE fan-out (×${SSE_CLIENTS})`, fanOpen, SECONDS);
console.log(`non-200 answers: ${open.errors}; flips: ${flips}; loadavg ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const [what, n] of [...refusals].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  non-200: ${n} × ${what}`);
refusals.clear();

const closedSeconds = Math.max(3, Math.round(SECONDS / 2));
const closed = await run(closedSeconds, false);
const fanClosed = fanout.splice(0);
console.log(`\nphase 2: closed loop (saturation), 200 users without think time, ${closedSeconds} s`);
summary('pages + fragments', [...closed.pages, ...closed.fragments], closedSeconds);
summary(`SSE fan-out (×${SSE_CLIENTS})`, fanClosed, closedSeconds);
console.log(`non-200 answers: ${closed.errors}; loadavg ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

clearInterval(flipper);
for (const s of streams) s.destroy();
agent.destroy();
await rig.close();
process.exit(0);
