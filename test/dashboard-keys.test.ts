// Who sees what in the dashboard: a signed-in user's session sees only that
// user's events and no action buttons; the publishable key alone sees none;
// a wrong secret key gets a readable error and changes nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWith, eventRow, poll, screenshot, startDashboard, type Dashboard } from './support/browser.ts';
import { call, db, rowCounts, stack, tokenFor } from './support/queue.ts';

const sql = db();
let dash: Dashboard;
beforeAll(async () => { dash = await startDashboard(stack); });
afterAll(async () => {
  await dash?.close();
  await sql.end();
});

const enqueueAs = async (token: string) => {
  const { status, body } = await call('enqueue', { method: 'POST', key: token, json: { name: 'Addition', props: { x: 1, y: 2 }, delay_ms: 3_600_000 } });
  expect(status).toBe(201);
  return body.id as number;
};

describe('dashboard: keys', () => {
  it("a user's session sees only that user's events, and no action buttons", async () => {
    const [alice, bob] = [await tokenFor(randomUUID()), await tokenFor(randomUUID())];
    const mine = [await enqueueAs(alice), await enqueueAs(alice)];
    const theirs = await enqueueAs(bob);
    await call('enqueue', { method: 'POST', json: { name: 'Addition', props: { x: 1, y: 2 }, delay_ms: 3_600_000 } }); // the service role's

    const page = await dash.open({ key: '', userToken: alice, hash: '#/events' });
    expect(await page.locator('.who').textContent()).toContain('signed-in user');
    await eventRow(page, mine[1]).waitFor();
    const listed = await page.locator('[role="row"][data-event-id]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-event-id'))));
    expect(listed.sort()).toEqual([...mine].sort());
    expect(await page.getByRole('button', { name: 'Enqueue an event' }).count()).toBe(0);
    expect(await page.getByRole('group', { name: 'Bulk actions' }).count()).toBe(0);
    await screenshot(page, 'keys-user-events');

    // Their own event: details, no actions. Someone else's: not found.
    await page.goto(dash.server.url + `#/events/${mine[0]}`);
    await page.getByRole('heading', { name: new RegExp(`Event ${mine[0]}`) }).waitFor();
    for (const name of ['Cancel', 'Retry', 'Delete', 'Reschedule']) expect(await page.getByRole('button', { name }).count()).toBe(0);
    await page.goto(dash.server.url + `#/events/${theirs}`);
    await poll(() => page.getByRole('alert').textContent()).toContain(`Event ${theirs} does not exist`);
    await page.context().close();
  });

  it('the publishable key alone sees no events and no action buttons', async () => {
    const context = await dash.browser.newContext();
    const page = await context.newPage();
    await page.goto(dash.server.url + '#/events');
    await page.getByRole('button', { name: 'Read-only (publishable key)' }).click();
    await page.locator('.who').waitFor();
    expect(await page.getByRole('note').textContent()).toContain('The publishable key alone sees no events');
    expect(await page.getByText('No events are visible with the publishable key alone.').isVisible()).toBe(true);
    expect(await page.locator('[role="row"][data-event-id]').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Enqueue an event' }).count()).toBe(0);
    await context.close();
  });

  it('a wrong secret key gets a readable error and changes nothing', async () => {
    const before = await rowCounts(sql);
    const context = await dash.browser.newContext();
    const page = await context.newPage();
    await page.goto(dash.server.url + '#/events');
    await connectWith(page, { key: 'sb_secret_this-is-not-the-projects-key' });
    const alert = page.getByRole('form', { name: 'Connect' }).getByRole('alert');
    await poll(() => alert.textContent()).toMatch(/^The key was refused: .+/);
    expect(await page.locator('.who').count()).toBe(0); // not connected: no page, no actions
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]); // a refused key is not kept
    await screenshot(page, 'keys-wrong-secret');
    expect(await rowCounts(sql)).toEqual(before);
    await context.close();
  });
});
