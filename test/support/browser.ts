// The dashboard in a real browser: Debian's Chromium driven by playwright-core
// (headless), against the dashboard's static build served for a stack, as an
// operator would open it. Screenshots go to test-results/dashboard/ (git ignores it).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from '../../platform/config.ts';
import type { StackInfo } from '../../platform/stack.ts';
import { CHROMIUM_OPTIONS, serveDashboard, type DashboardServer } from '../../scripts/dashboard-server.ts';

const SHOTS = join(REPO_ROOT, 'test-results', 'dashboard');

export interface Dashboard {
  browser: Browser;
  server: DashboardServer;
  /** A fresh tab (its own sessionStorage), connected with `key` (and a user token), at `hash`. */
  open(opts?: { key?: string; userToken?: string; hash?: string; width?: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Starts Chromium and a dashboard server pointed at `stack`. */
export async function startDashboard(stack: StackInfo): Promise<Dashboard> {
  const server = await serveDashboard({ url: stack.apiUrl, publishableKey: stack.publishableKey }, 0);
  const browser = await chromium.launch(CHROMIUM_OPTIONS);
  return {
    browser, server,
    async open({ key = stack.secretKey, userToken, hash = '#/events', width = 1280 } = {}) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      // A wait that fails says which locator it waited for, before the test's own timeout.
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      // The page's own errors, for a failure's log (a refused request is the page's business: it shows it).
      page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) console.error(`[browser] ${m.text()}`); });
      await page.goto(server.url + hash);
      await connectWith(page, { key, userToken });
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Fills the connect form and waits until the page is connected (or shows the refusal). */
export async function connectWith(page: Page, { key, userToken }: { key: string; userToken?: string }): Promise<void> {
  const form = page.getByRole('form', { name: 'Connect' });
  await form.getByLabel('Key', { exact: true }).fill(key);
  if (userToken) await form.getByLabel(/User access token/).fill(userToken);
  await form.getByRole('button', { name: 'Connect' }).click();
  await page.locator('.who, [role="alert"]').first().waitFor();
}

/** Fills the sign-in form and waits until the page is connected (or shows the refusal). */
export async function signInWith(page: Page, { email, password }: { email: string; password: string }): Promise<void> {
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.who, [role="alert"]').first().waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The events row of `id` (the virtualized list renders rows in view only: a test's event is near the top). */
export const eventRow = (page: Page, id: number) => page.locator(`[role="row"][data-event-id="${id}"]`);

/** expect.poll with room for a loaded machine (vitest's default gives up after 1 s). */
export const poll = <T>(probe: () => T | Promise<T>, timeoutMs = 20_000) => expect.poll(probe, { timeout: timeoutMs, interval: 100 });
