// The dashboard's other pages in Chromium: the overview (problem names
// first, the oldest due age charted from the tick's samples), handlers
// (disable, edit) and schedules (create, delete; the events each one
// enqueued), each change checked in the database; and the events page at
// phone width and from the keyboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRow, poll, screenshot, startDashboard, type Dashboard } from './support/browser.ts';
import { call, db, enqueueUnclaimed, eventsById, registerHandler, stack } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
let dash: Dashboard;
const NAME = 'DashPages';

beforeAll(async () => {
  await registerHandler(sql, { name: NAME, kind: 'code', target: 'Division', max_attempts: 1 });
  await sql`delete from queue.schedules where name = 'dash-nightly'`;
  dash = await startDashboard(stack);
});
afterAll(async () => {
  await dash?.close();
  await sql.end();
});

describe('dashboard: pages', () => {
  it('the overview lists names with their counts, problem names first', async () => {
    const { body } = await call('enqueue', { method: 'POST', json: { name: NAME, props: { x: 1, y: 0 } } });
    await waitFor('a dead event', async () => (await eventsById(sql, [body.id]))[0]?.state === 'dead', 30_000, 100);
    const page = await dash.open({ hash: '#/' });
    const row = page.locator(`table.stats tr[data-name="${NAME}"]`);
    await row.waitFor();
    const [{ dead }] = await sql<{ dead: number }[]>`select count(*)::int as dead from queue.events where name = ${NAME} and state = 'dead'`;
    // Columns: name, then the six states in order (dead is the fifth).
    expect(await row.locator('td').nth(4).textContent()).toBe(String(dead));
    const deadByRow = await page.locator('table.stats tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.querySelectorAll('td')[4].textContent)));
    expect(deadByRow).toEqual([...deadByRow].sort((a, b) => b - a)); // the most dead first
    expect(await page.getByRole('img', { name: 'Runs per minute over the last hour' }).count()).toBe(1);
    await screenshot(page, 'overview');
    await page.context().close();
  });

  it('charts the oldest due age from the server: a page opened after a tick shows that tick\'s sample', async () => {
    // Nothing claims it: it stays due, 90 s late.
    const id = await enqueueUnclaimed(sql, 'DashDueSampled', 90_000);
    await sql`select queue.tick()`;
    // Gone before the page opens, so what the present says (GET /events/stats) no longer has it: only the tick's sample does.
    await sql`delete from queue.events where id = ${id}`;
    const [{ peak }] = await sql<{ peak: number }[]>`select max(oldest_due_age_ms) as peak from queue.stats_by_minute`;
    expect(peak).toBeGreaterThanOrEqual(90_000);

    const page = await dash.open({ hash: '#/' });
    const chart = page.locator('figure.chart').filter({ has: page.getByRole('img', { name: 'Oldest due age over the last hour' }) });
    // At least the peak read above: a later pg_cron tick may have sampled an older event since.
    await poll(async () => Number(await chart.getAttribute('data-peak'))).toBeGreaterThanOrEqual(peak);
    expect(await chart.getByRole('img').getAttribute('aria-label')).toMatch(/^Oldest due age over the last hour: latest .+, peak .+$/);
    await page.context().close();
  });

  it('disables and edits a handler', async () => {
    const page = await dash.open({ hash: '#/handlers' });
    const card = page.locator(`article[data-handler="${NAME}"]`);
    await card.getByRole('button', { name: 'Disable' }).click();
    await card.getByRole('button', { name: 'Enable' }).waitFor();
    const handler = async () => (await sql<{ enabled: boolean; max_attempts: number }[]>`select enabled, max_attempts from queue.handlers where name = ${NAME}`)[0];
    expect((await handler()).enabled).toBe(false);
    await card.getByRole('button', { name: 'Enable' }).click();
    await card.getByRole('button', { name: 'Disable' }).waitFor();
    expect((await handler()).enabled).toBe(true);

    await card.getByRole('button', { name: 'Edit' }).click();
    const form = card.getByRole('form', { name: `Edit ${NAME}` });
    await form.getByLabel('Max attempts').fill('4');
    await form.getByRole('button', { name: 'Save' }).click();
    await poll(async () => (await handler()).max_attempts).toBe(4);
    await poll(() => card.locator('dl').textContent()).toContain('Attempts4');
    await page.context().close();
  });

  it('creates and deletes a schedule', async () => {
    const page = await dash.open({ hash: '#/schedules' });
    await page.getByText('Create a schedule').click();
    const form = page.getByRole('form', { name: 'Create a schedule' });
    await form.getByLabel('Name').fill('dash-nightly');
    await form.getByLabel('Event').selectOption('Addition');
    await form.getByLabel('Cron').fill('0 3 * * *');
    await form.getByLabel('Time zone').fill('Europe/Paris');
    await form.getByLabel('Props (JSON)').fill('{"x": 1, "y": 2}');
    await form.getByRole('button', { name: 'Create' }).click();
    await poll(() => form.getByRole('status').textContent()).toContain('Created dash-nightly');
    const [s] = await sql<{ cron: string; timezone: string; props: unknown }[]>`select cron, timezone, props from queue.schedules where name = 'dash-nightly'`;
    expect(s).toEqual({ cron: '0 3 * * *', timezone: 'Europe/Paris', props: { x: 1, y: 2 } });
    const row = page.locator('tr[data-schedule="dash-nightly"]');
    await poll(() => row.textContent()).toContain('Europe/Paris');

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await sql`select 1 from queue.schedules where name = 'dash-nightly'`).toHaveLength(0);
    await page.context().close();
  });

  it('links a schedule to the events it enqueued: only those are listed, the filter is shown, acted on and cleared', async () => {
    // B is A's name and ':': each of B's idempotency keys begins with A's prefix.
    const A = `dash-digest-${Date.now().toString(36)}`;
    const B = `${A}:eu`;
    for (const name of [A, B]) {
      await sql`select queue.create_schedule(${sql.json({ name, event_name: NAME, cron: '0 3 1 1 *', props: { x: 4, y: 2 } })}::jsonb)`;
    }
    /** Fires `name`'s occurrence of `minutesAgo` minutes ago, as the tick does; the event it enqueued. */
    const fire = async (name: string, minutesAgo: number) => {
      await sql`update queue.schedules set next_run_at = date_trunc('second', now()) - make_interval(mins => ${minutesAgo}::int) where name = ${name}`;
      await sql`select queue.enqueue_due_schedules()`;
      return (await sql<{ id: number }[]>`select last_event_id as id from queue.schedules where name = ${name}`)[0].id;
    };
    const aIds = [await fire(A, 3), await fire(A, 2)];
    const bId = await fire(B, 3);
    await waitFor('the schedules\' events to succeed', async () =>
      (await eventsById(sql, [...aIds, bId])).every((e) => e.state === 'succeeded'), 30_000, 100);

    const page = await dash.open({ hash: '#/schedules' });
    await page.locator(`tr[data-schedule="${A}"]`).getByRole('link', { name: 'events it enqueued' }).click();
    await poll(() => new URL(page.url()).hash).toBe(`#/events?${new URLSearchParams({ schedule: A })}`);
    const filter = page.getByRole('form', { name: 'Filter events' });
    expect(await filter.getByLabel('Schedule').inputValue()).toBe(A);
    for (const id of aIds) await eventRow(page, id).waitFor();
    const listed = () => page.locator('[role="row"][data-event-id]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-event-id'))));
    expect(await listed()).toEqual([...aIds].reverse());

    // Live: a new event of A's joins the list, one of B's (committed first, so heard first) does not.
    const bIds = [bId, await fire(B, 1)];
    aIds.push(await fire(A, 1));
    await eventRow(page, aIds[2]).waitFor();
    expect(await listed()).toEqual([...aIds].reverse());
    await waitFor('the new events to succeed', async () =>
      (await eventsById(sql, [...aIds, ...bIds])).every((e) => e.state === 'succeeded'), 30_000, 100);

    // Bulk actions take the schedule filter too: the count, then the delete, are A's events only.
    const bulk = page.getByRole('group', { name: 'Bulk actions' });
    await bulk.getByRole('button', { name: 'Delete all…' }).click();
    const dialog = page.getByRole('dialog');
    await poll(() => dialog.textContent()).toContain(`Delete 3 events matching schedule ${A} that are not processing?`);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await poll(() => bulk.getByRole('status').textContent()).toBe('Deleted: 3 events.');
    expect((await eventsById(sql, [...aIds, ...bIds])).map((e) => e.id)).toEqual(bIds);

    await filter.getByRole('link', { name: 'Clear' }).click();
    await poll(() => new URL(page.url()).hash).toBe('#/events');
    await eventRow(page, bIds[1]).waitFor();
    expect(await page.getByRole('form', { name: 'Filter events' }).getByLabel('Schedule').inputValue()).toBe('');
    await page.context().close();
    await sql`delete from queue.schedules where name in (${A}, ${B})`;
    await sql`delete from queue.events where id = any(${bIds}::bigint[])`;
  });

  it('fits a phone screen, and a row opens from the keyboard', async () => {
    const { body } = await call('enqueue', { method: 'POST', json: { name: 'Addition', props: { x: 1, y: 1 }, delay_ms: 3_600_000 } });
    const page = await dash.open({ hash: '#/events', width: 390 });
    await eventRow(page, body.id).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'events-phone');
    await eventRow(page, body.id).focus();
    await page.keyboard.press('Enter');
    await poll(() => new URL(page.url()).hash).toBe(`#/events/${body.id}`);
    await page.getByRole('heading', { name: new RegExp(`Event ${body.id}`) }).waitFor();
    await page.context().close();
  });
});
