import { expect, test, type Page } from '@playwright/test';
import {
  PARTNER,
  apiAs,
  hydrated,
  login,
  newCustomerWithCardholder,
  open,
  openAddPass,
  passRow,
  serverFn,
  simulateInBackground,
  unique,
  uniqueHiddenId,
} from './helpers';

// The Local Authorization List kept in sync: the simulator plays a station with a local list; a pass added in
// "Passes" reaches it without anyone sending anything, and the station's page says so.

async function localList(page: Page, org: number, station: number) {
  await open(page, `/orgs/${org}/assets/${station}`);
  await hydrated(page);
  return page.getByRole('region', { name: 'Local Authorization List' }).getByRole('status');
}

test('adding a pass in Passes turns the station\'s local list "in sync" with one more pass', async ({ page }) => {
  const ctx = await apiAs(test.info().project.use.baseURL!, PARTNER);
  const customer = await newCustomerWithCardholder(ctx, 'Local list customer');
  const cp = `CP-LIST-${unique()}`;
  const added = await serverFn(ctx, 'add_station', {
    org: customer.org,
    charge_point_id: cp,
    name: `Charger ${cp}`,
    allow_unauthenticated: true,
  });
  expect(added.ok, JSON.stringify(added.body)).toBe(true);
  const station = (added.body as { id: number }).id;
  const sim = simulateInBackground(['--id', cp, '--serve-secs', '50'], { password: null });
  try {
    await sim.waitFor((e) => e.event === 'exchange' && e.action === 'BootNotification');
    await login(page, PARTNER);
    // The customer has no pass yet: an empty list, sent as version 1 when the station connected.
    const state = await localList(page, customer.org, station);
    await expect(state).toContainText('Local list version 1 — in sync (0 passes)', { timeout: 15_000 });

    await open(page, `/orgs/${customer.org}/passes`);
    await hydrated(page);
    const f = await openAddPass(page);
    await f.user.selectOption({ label: `${customer.userName} (${customer.user.email})` });
    const hidden = uniqueHiddenId();
    await f.hiddenId.fill(hidden);
    await f.nickname.fill('Depot tag');
    await f.save.click();
    await expect(passRow(page, 'Depot tag')).toHaveCount(1);

    // One Differential update with the new pass; the page reads the state again by itself.
    const after = await localList(page, customer.org, station);
    await expect(after).toContainText('Local list version 2 — in sync (1 pass)', { timeout: 15_000 });
    await sim.waitFor((e) => e.event === 'command' && e.action === 'SendLocalList');

    // "Resend full list" asks first, then sends the whole list again (version 3).
    await page.getByRole('button', { name: 'Resend full list' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Resend full list' });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Resend full list' }).click();
    await expect(dialog).toBeHidden();
    await expect(after).toContainText('Local list version 3 — in sync (1 pass)', { timeout: 15_000 });
  } finally {
    await sim.stop();
  }
});
