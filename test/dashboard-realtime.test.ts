// The dashboard when the Realtime connection drops and comes back: a stack
// of its own (the Realtime stand-in is stopped and started), the events page
// open meanwhile. While it is down the page says so and shows what it had;
// once it is back, it shows what changed meanwhile, without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../platform/stack.ts';
import type { Sql } from '../src/shared/db.ts';
import { eventRow, screenshot, startDashboard, type Dashboard } from './support/browser.ts';
import { ownStack, type OwnStack } from './support/own-stack.ts';
import { waitFor } from './support/wait.ts';

let stack: OwnStack;
let own: Stack;
let sql: Sql;
let dash: Dashboard;

beforeAll(async () => {
  stack = await ownStack({ tick: true });
  ({ stack: own, sql } = stack);
  dash = await startDashboard(own);
}, 180_000);
afterAll(async () => {
  await dash?.close();
  await stack?.close();
});

const stateOf = async (id: number) => (await sql<{ state: string }[]>`select state from queue.events where id = ${id}`)[0]?.state;

describe('dashboard: Realtime drops and comes back', () => {
  it('shows it is reconnecting, then what changed meanwhile', { timeout: 120_000 }, async () => {
    const [{ id: waiting }] = await sql<{ id: number }[]>`select id from queue.enqueue('Addition', '{"x": 1, "y": 1}', now() + interval '1 hour')`;
    const page = await dash.open({ key: own.secretKey, hash: '#/events' });
    const frames: string[] = [];
    page.on('websocket', (ws) => {
      frames.push(`open ${ws.url().replace(/apikey=[^&]+/, 'apikey=…')}`);
      ws.on('framesent', (f) => frames.push(`> ${String(f.payload).slice(0, 200)}`));
      ws.on('framereceived', (f) => frames.push(`< ${String(f.payload).slice(0, 200)}`));
      ws.on('socketerror', (e) => frames.push(`error ${e}`));
      ws.on('close', () => frames.push('close'));
    });
    const live = page.locator('[data-live]');
    await page.locator('[data-live="live"]').waitFor({ timeout: 30_000 }).catch(async (err) => {
      await screenshot(page, 'realtime-not-live');
      throw new Error(`the page never went live: it says "${await live.textContent()}"; its WebSocket:\n${frames.join('\n')}`, { cause: err });
    });
    await eventRow(page, waiting).and(page.locator('[data-state="scheduled"]')).waitFor();
    await page.evaluate(() => { (window as any).__sameDocument = true; });

    await own.stopRealtime();
    await page.locator('[data-live="reconnecting"], [data-live="off"]').waitFor({ timeout: 30_000 });
    // Meanwhile: the waiting event is cancelled, and a new one runs to the end.
    await sql`select queue.cancel(${waiting})`;
    const res = await fetch(`${own.functionsUrl}/enqueue`, {
      method: 'POST', headers: { apikey: own.secretKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Multiplication', props: { x: 6, y: 7 } }),
    });
    const fresh = (await res.json()).id as number;
    await waitFor(`event ${fresh} to succeed`, async () => (await stateOf(fresh)) === 'succeeded', 30_000, 100);
    // The page could not hear it: it still shows what it had.
    expect(await eventRow(page, waiting).getAttribute('data-state')).toBe('scheduled');
    expect(await eventRow(page, fresh).count()).toBe(0);
    await screenshot(page, 'realtime-down');

    await own.startRealtime();
    await page.locator('[data-live="live"]').waitFor({ timeout: 30_000 }).catch(async (err) => {
      await screenshot(page, 'realtime-not-live');
      throw new Error(`the page never went live: it says "${await live.textContent()}"; its WebSocket:\n${frames.join('\n')}`, { cause: err });
    });
    await eventRow(page, waiting).and(page.locator('[data-state="cancelled"]')).waitFor({ timeout: 15_000 });
    await eventRow(page, fresh).and(page.locator('[data-state="succeeded"]')).waitFor({ timeout: 15_000 });
    expect(await live.textContent()).toBe('Live');
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true); // recovered without a reload
    await screenshot(page, 'realtime-recovered');

    // And it streams again: a change after the recovery arrives live.
    await sql`select queue.retry(${waiting})`;
    await eventRow(page, waiting).and(page.locator('[data-state="succeeded"]')).waitFor({ timeout: 30_000 });
  });
});
