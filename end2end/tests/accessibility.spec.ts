import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import {
  EMMA,
  PARTNER,
  apiAs,
  homeOrgId,
  login,
  open,
  orgNamed,
  serverFn,
} from './helpers';

// WCAG 2.1 AA, checked by axe-core on every page of the app, with the demo data on it (lists, badges, the Logs
// tab's messages and time hint, a station's commands), as a partner administrator and as a cardholder. A
// violation fails the test with axe's rule, the element and how to fix it.

const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
  const found = results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).slice(0, 5),
  }));
  expect(found, `${what} (${page.url()})`).toEqual([]);
}

test('the pages before log-in meet WCAG 2.1 AA', async ({ page }) => {
  for (const path of ['/login', '/forgot-password', '/set-password']) {
    await open(page, path);
    await expectAccessible(page, path);
  }
});

test("every administrator's page meets WCAG 2.1 AA, with data on it", async ({ page, baseURL }) => {
  const ctx = await apiAs(baseURL!, PARTNER);
  const partner = await homeOrgId(ctx);
  const kroon = await orgNamed(ctx, partner, 'Brouwerij De Kroon');
  const stations = await serverFn(ctx, 'list_stations', { org: kroon });
  expect(stations.ok).toBe(true);
  const station = (stations.body as { id: number; charge_point_id: string }[]).find(
    (s) => s.charge_point_id === 'CP-KROON-1',
  )!.id;
  // Something in the station's command history and Logs (the station is offline: the reset is refused).
  const sent = await serverFn(ctx, 'send_station_command', {
    org: kroon,
    station,
    command: 'reset',
    option: 'soft',
  });
  expect(sent.ok, JSON.stringify(sent.body)).toBe(true);

  await login(page, PARTNER);
  const pages = [
    `/orgs/${partner}/organizations`,
    `/orgs/${kroon}/users`,
    `/orgs/${kroon}/assets`,
    `/orgs/${kroon}/assets/${station}`,
    `/orgs/${kroon}/assets/${station}/logs`,
    `/orgs/${kroon}/assets/${station}/commands`,
    `/orgs/${kroon}/assets/${station}/configuration`,
    `/orgs/${kroon}/assets/${station}/settings`,
    `/orgs/${kroon}/passes`,
    `/orgs/${kroon}/passes/import`,
    `/orgs/${kroon}/transactions`,
    `/orgs/${kroon}/settings/passes`,
    `/orgs/${kroon}/settings/access`,
    `/orgs/${kroon}/settings/security`,
    `/orgs/${kroon}/settings/audit`,
    '/account',
  ];
  for (const path of pages) {
    await open(page, path);
    await expectAccessible(page, path);
  }
  // Dialogs too: a command's, and "+ Add Pass".
  await open(page, `/orgs/${kroon}/assets/${station}/commands`);
  await page.getByRole('button', { name: 'Remote start', exact: true }).click();
  await expect(page.getByRole('dialog', { name: 'Remote start' })).toBeVisible();
  await expectAccessible(page, 'the Remote start dialog');
  await open(page, `/orgs/${kroon}/passes`);
  await page.getByRole('button', { name: '+ Add Pass' }).click();
  await expect(page.getByRole('form', { name: 'Add pass' })).toBeVisible();
  await expectAccessible(page, 'the "+ Add Pass" form');
  // "Import passes" with a checked file on it: the preview with an error row and its download.
  await open(page, `/orgs/${kroon}/passes/import`);
  const importForm = page.getByRole('form', { name: 'Import passes' });
  await importForm.getByLabel('File', { exact: true }).setInputFiles({
    name: 'passes.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(
      'First name,Last name,E-mail,Hidden ID,Nickname\r\n' +
        'Ilse,Vermeer,ilse-axe@example.com,04A1B2C3D4E5F6,Tag Ilse\r\n' +
        'Jan,Smit,not-an-email,04E1B2C3D4E5F6,Tag Jan\r\n',
    ),
  });
  await importForm.getByRole('button', { name: 'Check file' }).click();
  await expect(page.getByRole('button', { name: 'Download rows with errors' })).toBeVisible();
  await expectAccessible(page, '"Import passes" with a preview');
});

test("a cardholder's pages meet WCAG 2.1 AA", async ({ page }) => {
  await login(page, EMMA);
  for (const path of ['/my/passes', '/account']) {
    await open(page, path);
    await expectAccessible(page, path);
  }
});
