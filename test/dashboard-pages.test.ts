// The dashboard's other pages in Chromium: the overview (problem names
// first), handlers (disable, edit) and schedules (create, delete), each
// change checked in the database; and the events page at phone width and
// from the keyboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRow, poll, screenshot, startDashboard, type Dashboard } from './support/browser.ts';
import { call, db, eventsById, registerHandler, stack } from './support/queue.ts';
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
