import { expect, test, type Page } from '@playwright/test';
import {
  PARTNER,
  addCardholder,
  apiAs,
  hydrated,
  login,
  newCustomerWithCardholder,
  open,
  serverFn,
  simulateInBackground,
  stationTab,
  unique,
  uniqueHiddenId,
  type BackgroundSim,
} from './helpers';

// Commands to a station (the central system talks back): the administrator sends them from the station's
// "Commands" tab, each after a confirmation, and sees the station's answer where they asked; the simulator
// plays a station that answers like a real one. Each test registers a station of its own (allowed without a
// password, in a customer of its own), so the tests do not see each other's commands.

/** A new customer with a station `CP-CMD-…` that connects without a password, and the pieces the tests need. */
async function stationOfOurOwn(page: Page) {
  const ctx = await apiAs(test.info().project.use.baseURL!, PARTNER);
  const customer = await newCustomerWithCardholder(ctx, 'Command customer');
  const cp = `CP-CMD-${unique()}`;
  const added = await serverFn(ctx, 'add_station', {
    org: customer.org,
    charge_point_id: cp,
    name: `Charger ${cp}`,
    allow_unauthenticated: true,
  });
  expect(added.ok, JSON.stringify(added.body)).toBe(true);
  const station = (added.body as { id: number }).id;
  return { ctx, customer, cp, station };
}

/** The simulator playing station `cp`, connected and answering commands for up to 50 s. */
async function connected(cp: string): Promise<BackgroundSim> {
  const sim = simulateInBackground(['--id', cp, '--serve-secs', '50'], { password: null });
  await sim.waitFor((e) => e.event === 'exchange' && e.action === 'BootNotification');
  return sim;
}

async function openCommands(page: Page, org: number, station: number): Promise<void> {
  await open(page, `/orgs/${org}/assets/${station}/commands`);
  await hydrated(page);
  await expect(stationTab(page, 'Commands')).toHaveAttribute('aria-current', 'page');
}

test('unlock connector: confirmed in a dialog, the station answers "Unlocked" and it is in the history', async ({ page }) => {
  const { customer, cp, station } = await stationOfOurOwn(page);
  const sim = await connected(cp);
  try {
    await login(page, PARTNER);
    await openCommands(page, customer.org, station);
    await page.getByRole('button', { name: 'Unlock connector', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Unlock connector' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel('Connector', { exact: true })).toHaveValue('1');
    await dialog.getByRole('button', { name: 'Send unlock connector' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('status')).toContainText('Unlock connector 1: Unlocked', { timeout: 15_000 });
    const history = page.getByRole('table', { name: 'Commands sent to this station, newest first' });
    await expect(history.getByRole('row').filter({ hasText: 'Unlock connector 1' })).toContainText('Unlocked');
    await sim.waitFor((e) => e.event === 'command' && e.action === 'UnlockConnector');
  } finally {
    await sim.stop();
  }
});

test('a bad connector is refused at the field, and a reset of an offline station is not sent', async ({ page }) => {
  const { customer, station } = await stationOfOurOwn(page);
  await login(page, PARTNER);
  await openCommands(page, customer.org, station);
  await page.getByRole('button', { name: 'Unlock connector', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Unlock connector' });
  await dialog.getByLabel('Connector', { exact: true }).fill('0');
  await dialog.getByRole('button', { name: 'Send unlock connector' }).click();
  await expect(dialog.getByText('Choose a connector from 1 to 64.')).toBeVisible();
  await expect(dialog.getByLabel('Connector', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  const reset = page.getByRole('dialog', { name: 'Reset' });
  await reset.getByLabel('Hard (reboot the station)').check();
  await reset.getByRole('button', { name: 'Send reset' }).click();
  await expect(page.getByRole('status')).toContainText('Reset (hard): station offline: not sent');
});

test('remote start with a pass: the session appears under Transactions, and Remote stop ends it', async ({ page }) => {
  const { ctx, customer, cp, station } = await stationOfOurOwn(page);
  const uid = uniqueHiddenId();
  const holder = await addCardholder(ctx, customer.org);
  const pass = await serverFn(ctx, 'add_pass', {
    org: customer.org,
    user_id: holder.user.id,
    public_card_id: '',
    hidden_id: uid,
    nickname: 'Remote tag',
    confirmed: false,
  });
  expect(pass.ok, JSON.stringify(pass.body)).toBe(true);
  const sim = await connected(cp);
  try {
    await login(page, PARTNER);
    await openCommands(page, customer.org, station);
    await page.getByRole('button', { name: 'Remote start', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remote start' });
    await dialog.getByLabel('Pass (Public Card ID or Hidden ID)').fill(uid);
    await dialog.getByLabel('Connector', { exact: true }).fill('1');
    await dialog.getByRole('button', { name: 'Send remote start' }).click();
    await expect(page.getByRole('status')).toContainText(`Remote start on connector 1 with pass ${uid}: Accepted`, {
      timeout: 15_000,
    });
    await sim.waitFor((e) => e.event === 'exchange' && e.action === 'StartTransaction');

    await open(page, `/orgs/${customer.org}/transactions`);
    await hydrated(page);
    const row = page.getByRole('row').filter({ hasText: uid });
    await expect(row).toContainText('Charging');
    await row.getByRole('button', { name: /Remote stop of transaction/ }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Remote stop' });
    await confirm.getByRole('button', { name: 'Send remote stop' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Remote stop of transaction' })).toContainText(
      'Accepted',
      { timeout: 15_000 },
    );
    await sim.waitFor((e) => e.event === 'exchange' && e.action === 'StopTransaction');
  } finally {
    await sim.stop();
  }
});

test('a click anywhere on a station row in Assets opens the station', async ({ page }) => {
  const { customer, cp } = await stationOfOurOwn(page);
  await login(page, PARTNER);
  await open(page, `/orgs/${customer.org}/assets`);
  await hydrated(page);
  // The charge point ID's cell, not the name's link.
  await page.getByRole('row').filter({ hasText: cp }).getByRole('cell', { name: cp, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Charger ${cp}` })).toBeVisible();
});
