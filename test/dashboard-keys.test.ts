// Who sees what in the dashboard: a signed-in user's session (an access
// token pasted, or a sign-in from the form through the Auth stand-in) sees
// only that user's events and no action buttons; the publishable key alone
// sees none; a wrong secret key or a wrong password gets a readable error and
// changes nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWith, eventRow, poll, screenshot, signInWith, startDashboard, type Dashboard } from './support/browser.ts';
import { call, db, rowCounts, stack, tokenFor } from './support/queue.ts';
import { freePort } from '../platform/ports.ts';
import { serveDashboard } from '../scripts/dashboard-server.ts';

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

const PASSWORD = 'correct horse battery';

/** A user signed up through the Auth stand-in's API (not the page): email and first access token. */
async function signUp(): Promise<{ email: string; token: string }> {
  const email = `user-${randomUUID()}@example.com`;
  const res = await fetch(`${stack.apiUrl}/auth/v1/signup`, {
    method: 'POST', headers: { apikey: stack.publishableKey, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  return { email, token: (await res.json()).access_token };
}

const listedIds = (page: Awaited<ReturnType<Dashboard['open']>>) =>
  page.locator('[role="row"][data-event-id]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-event-id'))));

describe('dashboard: keys', () => {
  it("signs in from the form as a user: that user's events only, no action buttons, nothing in localStorage", async () => {
    const user = await signUp();
    const mine = await enqueueAs(user.token);
    const theirs = await enqueueAs(await tokenFor(randomUUID()));
    const context = await dash.browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await page.goto(dash.server.url + '#/events');
    await signInWith(page, { email: user.email, password: PASSWORD });
    expect(await page.locator('.who').textContent()).toContain(`signed-in user ${user.email}`);
    await eventRow(page, mine).waitFor();
    expect(await listedIds(page)).toEqual([mine]);
    expect(await eventRow(page, theirs).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Enqueue an event' }).count()).toBe(0);
    expect(await page.getByRole('group', { name: 'Bulk actions' }).count()).toBe(0);
    await screenshot(page, 'keys-signed-in-events');
    // The session is in this tab's sessionStorage; localStorage holds the project URL only.
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual(['supaqueue.dashboard.url']);
    expect(await page.evaluate(() => Object.keys(sessionStorage).sort())).toEqual(['supaqueue.dashboard.credentials', 'supaqueue.dashboard.session']);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
    await context.close();
  });

  it('a wrong password gets a readable error and keeps nothing', async () => {
    const user = await signUp();
    const context = await dash.browser.newContext();
    const page = await context.newPage();
    await page.goto(dash.server.url + '#/events');
    await signInWith(page, { email: user.email, password: 'not the password' });
    const alert = page.getByRole('form', { name: 'Sign in' }).getByRole('alert');
    await poll(() => alert.textContent()).toBe('Sign-in refused: Invalid login credentials');
    expect(await page.locator('.who').count()).toBe(0);
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
    await screenshot(page, 'keys-wrong-password');
    await context.close();
  });

  it('an Auth that cannot be reached gets a readable error', async () => {
    // The same page pointed at a project URL nothing listens on.
    const nowhere = await serveDashboard({ url: `http://127.0.0.1:${await freePort()}`, publishableKey: stack.publishableKey }, 0);
    const context = await dash.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(nowhere.url + '#/events');
      await signInWith(page, { email: 'nobody@example.com', password: PASSWORD });
      const alert = page.getByRole('form', { name: 'Sign in' }).getByRole('alert');
      await poll(() => alert.textContent()).toMatch(/^Auth cannot be reached: .+/);
      expect(await page.locator('.who').count()).toBe(0);
    } finally {
      await context.close();
      await nowhere.close();
    }
  });

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
