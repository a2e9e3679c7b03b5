// The dashboard in Chromium against the test stack, as an operator (the
// secret key): enqueue from the form and watch the row succeed live; a
// Division by zero shown dead with its error and every run, retried and
// redriven from the page; filters in the URL, and a shared URL; the state
// tabs from the keyboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRow, poll, screenshot, startDashboard, type Dashboard } from './support/browser.ts';
import { call, db, eventsById, registerHandler, runsOf, stack } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
let dash: Dashboard;
// A name of this file's own, so redrive and the lists see only this file's events.
const DIV = 'DashDivision';

beforeAll(async () => {
  await registerHandler(sql, { name: DIV, kind: 'code', target: 'Division', max_attempts: 2, backoff_base_ms: 200 });
  dash = await startDashboard(stack);
});
afterAll(async () => {
  await dash?.close();
  await sql.end();
});

const finalState = async (id: number, state: string) =>
  waitFor(`event ${id} to be ${state}`, async () => (await eventsById(sql, [id]))[0]?.state === state, 30_000, 100);

describe('dashboard: events as an operator', () => {
  it('enqueues from the form and shows the row reach succeeded without a reload', async () => {
    const page = await dash.open({ hash: '#/events' });
    await page.getByRole('button', { name: 'Enqueue an event' }).click();
    const form = page.getByRole('form', { name: 'Enqueue an event' });
    await form.getByLabel('Name').selectOption('Addition');

    // Props are checked as they are typed: bad JSON, then a props that does not fit Addition.
    const props = form.getByLabel('Props (JSON)');
    await props.fill('{"x": 2,');
    await poll(() => form.locator('#props-problems').textContent()).toMatch(/Not valid JSON/);
    expect(await form.getByRole('button', { name: 'Enqueue' }).isDisabled()).toBe(true);
    await props.fill('{"x": "2", "y": 3}');
    await poll(() => form.locator('#props-problems').textContent()).toContain('props.x must be a finite number');
    await props.fill('{"x": 2, "y": 3}');
    await poll(() => form.locator('#props-problems').textContent()).toBe('');

    await page.evaluate(() => { (window as any).__sameDocument = true; });
    await form.getByRole('button', { name: 'Enqueue' }).click();
    const status = form.getByRole('status');
    await status.waitFor();
    const id = Number(/event (\d+)/.exec((await status.textContent())!)![1]);

    // The row arrives over Realtime and turns succeeded in place.
    await eventRow(page, id).and(page.locator('[data-state="succeeded"]')).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true); // no reload happened
    await screenshot(page, 'events-enqueued-succeeded');
    const [row] = await eventsById(sql, [id]);
    expect([row.name, row.state, row.result, row.props]).toEqual(['Addition', 'succeeded', 5, { x: 2, y: 3 }]);
    await page.context().close();
  });

  it('shows a Division by zero dead with its error and every run; retry and redrive from the page', { timeout: 180_000 }, async () => {
    const { body } = await call('enqueue', { method: 'POST', json: { name: DIV, props: { x: 1, y: 0 } } });
    const id = body.id as number;
    const page = await dash.open({ hash: `#/events/${id}` });
    const title = page.getByRole('heading', { level: 1 });
    await title.locator('[data-state="dead"]').waitFor({ timeout: 30_000 });
    await poll(() => page.locator('.last-error').textContent()).toContain('Division by zero: 1 / 0 is undefined.');
    // Every run: two attempts, both failed, each with its error and worker.
    await poll(() => page.locator('table.runs tbody tr').count()).toBe(2);
    const runs = await runsOf(sql, id);
    expect(runs.map((r) => r.outcome)).toEqual(['failed', 'failed']);
    const cells = await page.locator('table.runs tbody tr').allTextContents();
    for (const [i, run] of runs.entries()) {
      expect(cells[i]).toContain(run.worker);
      expect(cells[i]).toContain('Division by zero');
    }
    await screenshot(page, 'event-dead');

    // Retry: queued again with a fresh budget, two more failed runs, dead again.
    // What an action reports stays after the state it leads to hides its button.
    const outcome = page.getByRole('group', { name: 'Actions' }).getByRole('status');
    await page.getByRole('button', { name: 'Retry' }).click();
    await waitFor('two more runs after the retry', async () => (await runsOf(sql, id)).length === 4, 30_000, 100);
    await finalState(id, 'dead');
    await poll(() => page.locator('table.runs tbody tr').count()).toBe(4);
    expect(await outcome.textContent()).toBe('Queued again.');

    // Redrive every dead DashDivision, after the confirmation.
    const other = (await call('enqueue', { method: 'POST', json: { name: DIV, props: { x: 2, y: 0 } } })).body.id as number;
    await finalState(other, 'dead');
    await page.getByRole('button', { name: `Redrive all dead ${DIV}` }).click();
    const dialog = page.getByRole('dialog');
    await poll(() => dialog.textContent()).toContain(`Retry every dead ${DIV} event?`);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await poll(() => outcome.textContent()).toBe(`2 dead ${DIV} events queued again.`);
    await waitFor('both redriven events to run twice more', async () => (await runsOf(sql, other)).length === 4 && (await runsOf(sql, id)).length === 6, 30_000, 100);
    await finalState(id, 'dead');
    await finalState(other, 'dead');
    await poll(() => page.locator('table.runs tbody tr').count()).toBe(6);
    expect(await outcome.textContent()).toBe(`2 dead ${DIV} events queued again.`);
    await page.context().close();
  });

  it('keeps the filter in the URL; a shared URL opens the same view', async () => {
    const names = ['Subtraction', 'Subtraction', 'Multiplication'];
    const { body } = await call('enqueue', { method: 'POST', json: { events: names.map((name) => ({ name, props: { x: 6, y: 2 } })) } });
    const ids = body.events.map((e: { id: number }) => e.id) as number[];
    for (const id of ids) await finalState(id, 'succeeded');

    const page = await dash.open({ hash: '#/events' });
    await page.getByRole('tab', { name: 'succeeded' }).click();
    await page.getByRole('form', { name: 'Filter events' }).getByLabel('Name').fill('Subtraction');
    await page.getByRole('form', { name: 'Filter events' }).getByRole('button', { name: 'Apply' }).click();
    await poll(() => new URL(page.url()).hash).toBe('#/events?state=succeeded&name=Subtraction');
    await eventRow(page, ids[1]).waitFor();
    const listed = async (p: typeof page) => p.locator('[role="row"][data-event-id]').evaluateAll((rows) =>
      rows.map((r) => [Number(r.getAttribute('data-event-id')), r.getAttribute('data-state'), r.querySelector('.c-name')!.textContent]));
    const shown = await listed(page);
    expect(shown.map(([id]) => id)).toEqual(expect.arrayContaining([ids[0], ids[1]]));
    expect(shown.map(([id]) => id)).not.toContain(ids[2]);
    expect(new Set(shown.map(([, state, name]) => `${state} ${name}`))).toEqual(new Set(['succeeded Subtraction']));
    await screenshot(page, 'events-filtered');

    // The same URL in another tab (which must be given the key: it lives in one tab's session) shows the same rows.
    const shared = await dash.open({ hash: new URL(page.url()).hash });
    await eventRow(shared, ids[1]).waitFor();
    expect(await listed(shared)).toEqual(shown);
    expect(await shared.getByRole('tab', { name: 'succeeded' }).getAttribute('aria-selected')).toBe('true');
    expect(await shared.getByRole('form', { name: 'Filter events' }).getByLabel('Name').inputValue()).toBe('Subtraction');

    // An id filter shows that one event.
    await shared.goto(dash.server.url + `#/events?id=${ids[2]}`);
    await eventRow(shared, ids[2]).waitFor();
    expect((await listed(shared)).map(([id]) => id)).toEqual([ids[2]]);
    await page.context().close();
    await shared.context().close();
  });

  it('moves along the state tabs with the arrow keys, Home and End, each selecting its state in the URL', async () => {
    const page = await dash.open({ hash: '#/events?name=Subtraction' });
    const tabs = page.getByRole('tablist', { name: 'State' });
    const tab = (name: string) => tabs.getByRole('tab', { name, exact: true });
    const hash = () => new URL(page.url()).hash;
    const selected = () => tabs.locator('[role="tab"][aria-selected="true"]').allTextContents();
    // A roving tabindex: only the selected tab is in the Tab order.
    const inTabOrder = () => tabs.getByRole('tab').evaluateAll((ts) => ts.filter((t) => (t as HTMLElement).tabIndex === 0).map((t) => t.textContent));
    const focused = () => page.evaluate(() => document.activeElement?.textContent);
    await tab('all').waitFor();
    expect(await inTabOrder()).toEqual(['all']);

    await tab('all').focus();
    await page.keyboard.press('ArrowRight');
    await poll(hash).toBe('#/events?state=scheduled&name=Subtraction');
    await poll(selected).toEqual(['scheduled']);
    expect(await focused()).toBe('scheduled');
    expect(await inTabOrder()).toEqual(['scheduled']);
    expect(await page.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe(await tab('scheduled').getAttribute('id'));

    await page.keyboard.press('End');
    await poll(hash).toBe('#/events?state=cancelled&name=Subtraction');
    await poll(selected).toEqual(['cancelled']);
    await page.keyboard.press('ArrowRight'); // past the last: the first
    await poll(hash).toBe('#/events?name=Subtraction');
    await poll(selected).toEqual(['all']);
    await page.keyboard.press('ArrowLeft'); // before the first: the last
    await poll(hash).toBe('#/events?state=cancelled&name=Subtraction');
    await page.keyboard.press('Home');
    await poll(hash).toBe('#/events?name=Subtraction');
    await poll(selected).toEqual(['all']);
    expect(await focused()).toBe('all');

    // Tab leaves the tablist for the panel instead of walking the other tabs.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).not.toBe('tab');
    await page.context().close();
  });
});
