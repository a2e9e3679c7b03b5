// The dashboard's side of the bench, in Debian's Chromium (playwright-core):
// the events page with `events` events in the table, from opening it (a
// reload, the key already in the tab's session) to its first page of rows
// on screen; then `rate` new events a second streaming
// in over Realtime for `seconds`, with the page's frame times (one sample
// per requestAnimationFrame) and how long after the last insert its row
// is on screen.
import { chromium } from 'playwright-core';
import { CHROMIUM_OPTIONS, ensureDashboardBuild, serveDashboard } from '../dashboard-server.ts';
import type { Sql } from '../../src/shared/db.ts';
import type { Stack } from '../../platform/stack.ts';
import { sleep, wallMs } from './util.ts';

export interface DashboardRun {
  events: number;
  /** The page opened (reloaded, key in the session) -> its first page of rows rendered, ms. */
  renderMs: number;
  rate: number;
  /** Changes the stream carried (one INSERT per event). */
  streamed: number;
  /** Frame times while the stream ran, ms. */
  frames: number[];
  /** The stream's last insert committed -> its row on screen, ms. */
  catchUpMs: number;
}

const NAME = 'BenchDashboard';
/** Far enough ahead that no drainer takes them: the page shows them as they were inserted. */
const LATER = "now() + interval '1 day'";

async function insert(sql: Sql, n: number): Promise<number> {
  const [{ id }] = await sql.unsafe(`
    select max(x.id)::int as id
      from queue.enqueue_many((select jsonb_agg(jsonb_build_object('name', '${NAME}', 'props', jsonb_build_object('x', i, 'y', 1), 'run_at', ${LATER}))
                                 from generate_series(1, ${n}) i), null::uuid) x`);
  return id;
}

export async function dashboardRun(stack: Stack, sql: Sql, sizes: { events: number; rate: number; seconds: number }): Promise<DashboardRun> {
  ensureDashboardBuild();
  await sql`select queue.create_handler(${sql.json({ name: NAME, kind: 'code', target: 'Addition' })}::jsonb)`;
  for (let left = sizes.events; left > 0; left -= 10_000) await insert(sql, Math.min(10_000, left));

  const server = await serveDashboard({ url: stack.apiUrl, publishableKey: stack.publishableKey }, 0);
  const browser = await chromium.launch(CHROMIUM_OPTIONS);
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${server.url}#/events?name=${NAME}`);
    const form = page.getByRole('form', { name: 'Connect' });
    await form.getByLabel('Key', { exact: true }).fill(stack.secretKey);
    await form.getByRole('button', { name: 'Connect' }).click();
    await page.locator('[role="row"][data-event-id]').nth(20).waitFor({ timeout: 60_000 });
    // Opening the page as an operator does once connected (the key is in the tab's session):
    // the bundle, the key check, the first page of the list.
    const opened = performance.now();
    await page.reload();
    await page.locator('[role="row"][data-event-id]').nth(20).waitFor({ timeout: 60_000 });
    const renderMs = performance.now() - opened;
    await page.locator('[data-live="live"]').waitFor({ timeout: 60_000 });

    // As a string: tsx would wrap a named function in a helper the page does not have.
    await page.evaluate(`(() => {
      window.__frames = [];
      window.__stop = false;
      let last = performance.now();
      const tick = (t) => {
        window.__frames.push(t - last);
        last = t;
        if (!window.__stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    const perTick = Math.max(1, Math.round(sizes.rate / 10));
    const ticks = sizes.seconds * 10;
    let lastId = 0;
    const began = performance.now();
    for (let i = 0; i < ticks; i++) {
      lastId = await insert(sql, perTick);
      const next = began + (i + 1) * 100;
      await sleep(Math.max(0, next - performance.now()));
    }
    const lastAt = wallMs();
    await page.locator(`[role="row"][data-event-id="${lastId}"]`).waitFor({ timeout: 60_000 });
    const catchUpMs = wallMs() - lastAt;
    const frames = await page.evaluate('(() => { window.__stop = true; return window.__frames.slice(1); })()') as number[];
    return { events: sizes.events, renderMs, rate: perTick * 10, streamed: perTick * ticks, frames, catchUpMs };
  } finally {
    await browser.close();
    await server.close();
  }
}
