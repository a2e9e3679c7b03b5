// The dashboard's actions in Chromium, each checked in the database
// afterwards: cancel, reschedule, delete one event, and bulk cancel and
// delete by filter with a confirmation that states the count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRow, poll, screenshot, startDashboard, type Dashboard } from './support/browser.ts';
import { call, db, eventsById, registerHandler, stack } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
let dash: Dashboard;
const BULK = 'DashBulk';

beforeAll(async () => {
  await registerHandler(sql, { name: BULK, kind: 'code', target: 'Addition' });
  dash = await startDashboard(stack);
});
afterAll(async () => {
  await dash?.close();
  await sql.end();
});

/** An event an hour away: scheduled, so it stays put while the page acts on it. */
async function later(name = 'Addition'): Promise<number> {
  const { status, body } = await call('enqueue', { method: 'POST', json: { name, props: { x: 1, y: 1 }, delay_ms: 3_600_000 } });
  expect(status).toBe(201);
  return body.id;
}
const row = async (id: number) => (await eventsById(sql, [id]))[0];

describe('dashboard: actions', () => {
  it('cancels a scheduled event', async () => {
    const id = await later();
    const page = await dash.open({ hash: `#/events/${id}` });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('heading', { level: 1 }).locator('[data-state="cancelled"]').waitFor();
    expect((await row(id)).state).toBe('cancelled');
    await page.context().close();
  });

  it('reschedules a scheduled event to a new run-at and priority', async () => {
    const id = await later();
    const page = await dash.open({ hash: `#/events/${id}` });
    const form = page.getByRole('form', { name: 'Reschedule' });
    const target = new Date(Math.floor((Date.now() + 2 * 3_600_000) / 1000) * 1000);
    // datetime-local takes the browser's local time.
    const local = await page.evaluate((ms) => {
      const d = new Date(ms);
      return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    }, target.getTime());
    await form.getByLabel('New run at').fill(local);
    await form.getByLabel('Priority').fill('7');
    await form.getByRole('button', { name: 'Reschedule' }).click();
    await poll(() => page.getByRole('group', { name: 'Actions' }).getByRole('status').textContent()).toContain('priority 7');
    const after = await row(id);
    expect([after.state, after.priority, new Date(after.run_at).getTime()]).toEqual(['scheduled', 7, target.getTime()]);
    await screenshot(page, 'event-rescheduled');
    await page.context().close();
  });

  it('deletes an event after a confirmation', async () => {
    const id = await later();
    const page = await dash.open({ hash: `#/events/${id}` });
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await poll(() => dialog.textContent()).toContain(`Delete event ${id}`);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await poll(() => new URL(page.url()).hash).toBe('#/events?name=Addition');
    expect(await row(id)).toBeUndefined();
    await page.context().close();
  });

  it('cancels, then deletes, everything a filter matches, stating the count first', async () => {
    const ids = [await later(BULK), await later(BULK), await later(BULK)];
    const page = await dash.open({ hash: `#/events?state=scheduled&name=${BULK}` });
    for (const id of ids) await eventRow(page, id).waitFor();
    const bulk = page.getByRole('group', { name: 'Bulk actions' });

    await bulk.getByRole('button', { name: 'Cancel all…' }).click();
    const dialog = page.getByRole('dialog');
    await poll(() => dialog.textContent()).toContain(`Cancel 3 events matching state scheduled, name ${BULK} that have not ended?`);
    await screenshot(page, 'bulk-confirm');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await poll(() => bulk.getByRole('status').textContent()).toBe('Cancelled: 3 events.');
    expect((await eventsById(sql, ids)).map((e) => e.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);

    // Declining the confirmation changes nothing.
    await page.getByRole('tab', { name: 'cancelled' }).click();
    await eventRow(page, ids[0]).waitFor();
    await bulk.getByRole('button', { name: 'Delete all…' }).click();
    await poll(() => dialog.textContent()).toContain(`Delete 3 events matching state cancelled, name ${BULK} that are not processing?`);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await eventsById(sql, ids)).toHaveLength(3);

    await bulk.getByRole('button', { name: 'Delete all…' }).click();
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await poll(() => bulk.getByRole('status').textContent()).toBe('Deleted: 3 events.');
    expect(await eventsById(sql, ids)).toEqual([]);
    await waitFor('the list to be empty', () => page.getByText('No events match this filter.').isVisible());
    await page.context().close();
  });
});
