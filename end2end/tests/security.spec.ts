import { expect, test, type Page } from '@playwright/test';
import { PARTNER, goToCustomer, hydrated, login, menu, open, openStation, stationTab } from './helpers';

// The app works under its Content-Security-Policy: scripts only with the per-request nonce (plus what they load,
// 'strict-dynamic'), styles only from the site, no framing. Every main page is loaded in full (server-rendered,
// then hydrated) and navigated to; the browser must report no CSP violation, and the page must hydrate (a
// blocked hydration script would leave it dead).

const KROON = 'Brouwerij De Kroon';
const KROON_STATION = 'Brewery yard';

type Violation = { directive: string; blocked: string; source: string };

/** Collects CSP violations of every document the page loads, from the DOM event and from the console. */
async function watchViolations(page: Page): Promise<Violation[]> {
  const violations: Violation[] = [];
  await page.exposeFunction('__reportCspViolation', (v: Violation) => {
    violations.push(v);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __reportCspViolation: (v: unknown) => void }).__reportCspViolation;
      report({ directive: e.violatedDirective, blocked: e.blockedURI, source: `${e.sourceFile}:${e.lineNumber}` });
    });
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text())) {
      violations.push({ directive: 'console', blocked: message.text(), source: page.url() });
    }
  });
  return violations;
}

/** Loads the current page again in full (server rendering with a fresh nonce) and waits for hydration. */
async function reloadInFull(page: Page): Promise<void> {
  await page.reload();
  await hydrated(page);
}

test('the main pages load, hydrate and work under the Content-Security-Policy without a violation', async ({
  page,
}) => {
  const violations = await watchViolations(page);

  const answer = await page.goto('/login');
  const csp = answer?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'nonce-");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(answer?.headers()['x-content-type-options']).toBe('nosniff');
  await hydrated(page);

  await login(page, PARTNER);
  for (const name of ['Organizations', 'Users', 'Passes', 'Assets', 'Transactions']) {
    await menu(page, name);
    await reloadInFull(page);
    await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  }

  // A customer's station: "Overview", "Logs", "Settings".
  await goToCustomer(page, KROON);
  await openStation(page, KROON_STATION);
  await reloadInFull(page);
  for (const tab of ['Logs', 'Settings', 'Overview'] as const) {
    await stationTab(page, tab).click();
    await expect(stationTab(page, tab)).toHaveAttribute('aria-current', 'page');
    await reloadInFull(page);
    await expect(stationTab(page, tab)).toHaveAttribute('aria-current', 'page');
  }

  // "Organization settings": its "Passes", "Access mode" and "Audit log" tabs.
  await menu(page, 'Organization settings');
  const settings = page.getByRole('navigation', { name: 'Settings' });
  for (const tab of ['Passes', 'Access mode', 'Audit log']) {
    await settings.getByRole('link', { name: tab, exact: true }).click();
    await expect(settings.getByRole('link', { name: tab, exact: true })).toHaveAttribute('aria-current', 'page');
    await reloadInFull(page);
  }

  // A page that does not exist is rendered and hydrated under the same policy.
  await open(page, '/orgs/987654/no-such-page');

  expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
});

test('another site cannot frame the app', async ({ page, baseURL }) => {
  const answer = await page.request.get('/login');
  expect(answer.headers()['x-frame-options']).toBe('DENY');
  expect(answer.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  // An attacker's page (about:blank here: any other origin) frames the log-in page: the browser refuses.
  const refused = page.waitForEvent('console', {
    predicate: (m) => /frame-ancestors|X-Frame-Options/i.test(m.text()),
    timeout: 15_000,
  });
  await page.setContent(`<iframe id="victim" src="${baseURL}/login"></iframe>`);
  await refused;
  await expect(page.frameLocator('#victim').getByRole('form', { name: 'Log in' })).toHaveCount(0);
});
