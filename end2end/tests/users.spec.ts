import { expect, test, type Page } from '@playwright/test';
import {
  HOTEL_ADMIN,
  KROON_ADMIN,
  PARTNER,
  apiAs,
  goToCustomer,
  homeOrgId,
  hydrated,
  login,
  menu,
  newCustomerWithCardholder,
  passRow,
  serverFn,
  unique,
  uniqueHiddenId,
} from './helpers';

// "Users": removing a person from an organization (with a confirmation naming them), and adding an e-mail that
// already has an account in another customer's organization without learning anything about that account.

/** The row of the user with e-mail `email` in the Users table. */
function userRow(page: Page, email: string) {
  return page.getByRole('row').filter({ has: page.getByRole('cell', { name: email, exact: true }) });
}

/** Fills and saves "+ Add User" as a cardholder. */
async function addUser(page: Page, first: string, last: string, email: string) {
  await page.getByRole('button', { name: '+ Add User' }).click();
  const form = page.getByRole('form', { name: 'Add user' });
  await form.getByLabel('First name', { exact: true }).fill(first);
  await form.getByLabel('Last name', { exact: true }).fill(last);
  await form.getByLabel('E-mail', { exact: true }).fill(email);
  await form.getByRole('button', { name: 'Save' }).click();
}

test('remove a user after confirming: their pass goes with them, and they can be added again', async ({
  page,
  baseURL,
}) => {
  const api = await apiAs(baseURL!, PARTNER);
  const c = await newCustomerWithCardholder(api, 'Remove customer');
  const nickname = `Leaving tag ${unique()}`;
  const pass = await serverFn(api, 'add_pass', {
    org: c.org,
    user_id: c.user.id,
    public_card_id: '',
    hidden_id: uniqueHiddenId(),
    nickname,
    confirmed: false,
  });
  expect(pass.ok, JSON.stringify(pass.body)).toBe(true);
  await api.dispose();

  await login(page, PARTNER);
  await goToCustomer(page, c.name);
  await menu(page, 'Users');
  const remove = page.getByRole('button', { name: `Remove ${c.userName}` });

  // Cancel (focused) keeps the user.
  await remove.click();
  let dialog = page.getByRole('alertdialog', { name: 'Remove this user?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`${c.userName} · ${c.user.email} · Cardholder`);
  await expect(dialog).toContainText('Their pass in this organization will be deleted.');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(userRow(page, c.user.email)).toHaveCount(1);

  // Remove.
  await remove.click();
  dialog = page.getByRole('alertdialog', { name: 'Remove this user?' });
  await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'The user was removed from this organization' })).toBeVisible();
  await expect(userRow(page, c.user.email)).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(userRow(page, c.user.email)).toHaveCount(0);
  await menu(page, 'Passes');
  await expect(passRow(page, nickname)).toHaveCount(0);

  // Added again.
  await menu(page, 'Users');
  await addUser(page, 'Kim', 'Returning', c.user.email);
  await expect(userRow(page, c.user.email)).toHaveCount(1);
});

test('an administrator cannot remove themself', async ({ page }) => {
  await login(page, HOTEL_ADMIN);
  await menu(page, 'Users');
  const own = userRow(page, HOTEL_ADMIN);
  await own.getByRole('button', { name: /^Remove / }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Remove this user?' });
  await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'You cannot remove yourself from an organization.' }))
    .toBeVisible();
  await page.reload();
  await hydrated(page);
  // Still listed, and still an administrator there (the page opens).
  await expect(userRow(page, HOTEL_ADMIN)).toHaveCount(1);
});

test("adding an e-mail another customer already uses shows only the name you typed", async ({ page, baseURL }) => {
  // De Kroon's administrator adds a person; the hotel, a sibling customer, adds the same e-mail.
  const suffix = unique();
  const email = `shared-${suffix}@example.com`;
  const stored = `Aalders${suffix}`;
  const kroon = await apiAs(baseURL!, KROON_ADMIN);
  const added = await serverFn(kroon, 'add_user', {
    org: await homeOrgId(kroon),
    first_name: 'Anna',
    last_name: stored,
    email,
    role: 'cardholder',
  });
  expect(added.ok, JSON.stringify(added.body)).toBe(true);
  await kroon.dispose();

  await login(page, HOTEL_ADMIN);
  await menu(page, 'Users');
  await addUser(page, 'Bogus', `Visitor ${suffix}`, email);
  await expect(page.getByRole('status').filter({ hasText: 'The user was added.' })).toBeVisible();
  await expect(page.getByText('already existed')).toHaveCount(0);
  await expect(userRow(page, email)).toContainText(`Bogus Visitor ${suffix}`);
  await expect(page.getByText(stored)).toHaveCount(0);
  await menu(page, 'Organization settings');
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Audit log' }).click();
  const entries = page.getByRole('list', { name: 'Audit log entries' }).getByRole('listitem');
  await expect(entries.filter({ hasText: `Added Bogus Visitor ${suffix} (${email}) as cardholder` })).toHaveCount(1);
  await expect(page.getByText(stored)).toHaveCount(0);
});
