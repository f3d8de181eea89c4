import { expect, test } from '@playwright/test';
import {
  PARTNER,
  apiAs,
  goToCustomer,
  hydrated,
  login,
  mainMenu,
  menu,
  newCustomerWithCardholder,
  openAddPass,
  orgIdOf,
  passRow,
  serverFn,
  tile,
  unique,
  uniqueHiddenId,
} from './helpers';

// The help article's two workflows ("Add the visible ID of the charge pass", "Adding chargepas with the invisible
// ID (UID)") and its check under "Organization settings" → "Passes", done by the partner for a customer.

test('partner adds a user and their card by Public Card ID; it starts as Roaming and stays Whitelist once set', async ({
  page,
}) => {
  const s = unique();
  const customer = `Customer ${s}`;
  const email = `ilse.${s}@example.com`;
  const fullName = `Ilse Vermeer${s}`;
  const nickname = `Lease car ${s}`;
  const publicCardId = 'FR-XYZ-123456789-2';

  await login(page, PARTNER);
  await expect(page).toHaveURL(/\/orgs\/\d+\/organizations$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Organizations' })).toBeVisible();
  await expect(tile(page, 'Brouwerij De Kroon')).toBeVisible();

  // A customer of the partner, shown as a tile.
  await page.getByRole('button', { name: '+ Add Organization' }).click();
  const orgForm = page.getByRole('form', { name: 'Add organization' });
  await orgForm.getByLabel('Organization name').fill(customer);
  await orgForm.getByRole('button', { name: 'Save' }).click();
  await expect(tile(page, customer)).toContainText('0 users · 0 passes · 0 sub-organizations');

  // Step 2: "Organizations" → the customer's tile.
  const org = await goToCustomer(page, customer);
  await expect(page.getByText(`${customer} has no sub-organizations`)).toBeVisible();

  // Step 3: "Users" → add the user as a cardholder.
  await menu(page, 'Users');
  await page.getByRole('button', { name: '+ Add User' }).click();
  const userForm = page.getByRole('form', { name: 'Add user' });
  await userForm.getByLabel('First name').fill('Ilse');
  await userForm.getByLabel('Last name').fill(`Vermeer${s}`);
  await userForm.getByLabel('E-mail').fill(email);
  await userForm.getByLabel('Role').selectOption({ label: 'Cardholder' });
  await userForm.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The user was added.' })).toBeVisible();
  await expect(userForm).toBeHidden();
  const userRow = page.getByRole('row').filter({ hasText: email });
  await expect(userRow).toHaveCount(1);
  // Invited by e-mail until they set a password (accounts.spec.ts follows the link).
  await expect(userRow.getByRole('cell')).toHaveText([fullName, email, 'Cardholder', '0', 'Invited', /Resend invitation.*Remove/]);
  await expect(userRow.getByRole('button', { name: `Remove ${fullName}` })).toBeVisible();

  // Step 4: "Passes" → "+ Add Pass" → user, Public Card ID, nickname → Save.
  await menu(page, 'Passes');
  await expect(page.getByText('No passes yet')).toBeVisible();
  const f = await openAddPass(page);
  await f.user.selectOption({ label: `${fullName} (${email})` });
  await f.publicCardId.fill(publicCardId);
  await f.nickname.fill(nickname);
  await expect(f.form.getByRole('status').filter({ hasText: 'This pass will start as Roaming.' })).toBeVisible();
  await f.save.click();

  // Step 5: added; public charging passes start as Roaming, and the notice says why and where to change it.
  const notice = page.getByRole('status').filter({ hasText: 'The pass was added as Roaming.' });
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('Public charging passes are settled unless whitelisted');
  await expect(notice).toContainText('Set it to Whitelist under Organization settings → Passes');
  await expect(f.form).toBeHidden();
  const row = passRow(page, nickname);
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(fullName);
  await expect(row).toContainText(`Public Card ID${publicCardId}`);
  await expect(row.getByRole('cell').nth(3)).toHaveText('Roaming');

  // The check: "Organization settings" → "Passes" tab shows the pass as Roaming; set it to Whitelist.
  await menu(page, 'Organization settings');
  await expect(page).toHaveURL(new RegExp(`/orgs/${org}/settings`));
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Passes', exact: true }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Passes' })).toBeVisible();
  const mode = page.getByLabel(`Mode of ${nickname}`);
  await expect(mode).toHaveValue('roaming');
  await expect(passRow(page, nickname)).toContainText(`Public Card ID ${publicCardId}`);
  const saved = page.waitForResponse((r) => r.url().endsWith('/api/set_pass_mode'));
  await mode.selectOption({ label: 'Whitelist' });
  expect((await saved).ok()).toBe(true);
  await expect(mode).toBeEnabled();
  await expect(mode).toHaveValue('whitelist');

  // Stored, not just shown: still Whitelist after a reload, and in the Passes list.
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel(`Mode of ${nickname}`)).toHaveValue('whitelist');
  await menu(page, 'Passes');
  await expect(passRow(page, nickname).getByRole('cell').nth(3)).toHaveText('Whitelist');
  expect(orgIdOf(page)).toBe(org);
});

test('partner adds a tag by Hidden ID: normalised, starts as Whitelist, shown so under Organization settings', async ({
  page,
  baseURL,
}) => {
  const api = await apiAs(baseURL!, PARTNER);
  const c = await newCustomerWithCardholder(api, 'Tag customer');
  await api.dispose();
  const nickname = `Parking tag ${unique()}`;
  const uid = uniqueHiddenId();
  // As copied from a station's log, with colons and in lower case: 04:aa:bb:...
  const typed = uid.match(/../g)!.join(':').toLowerCase();

  await login(page, PARTNER);
  await goToCustomer(page, c.name);
  await menu(page, 'Passes');
  const f = await openAddPass(page);
  await f.user.selectOption({ label: `${c.userName} (${c.user.email})` });
  await f.hiddenId.fill(typed);
  await f.nickname.fill(nickname);
  await expect(f.form.getByRole('alert')).toHaveCount(0);
  await expect(f.form.getByRole('status').filter({ hasText: 'This pass will start as Whitelist.' })).toBeVisible();
  await f.save.click();

  const notice = page.getByRole('status').filter({ hasText: 'The pass was added as Whitelist.' });
  await expect(notice).toContainText('Passes added by their Hidden ID start as Whitelist');
  const row = passRow(page, nickname);
  await expect(row).toContainText(`Hidden ID${uid}`);
  await expect(row).toContainText(c.userName);
  await expect(row.getByRole('cell').nth(3)).toHaveText('Whitelist');

  await menu(page, 'Organization settings');
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Passes', exact: true }).click();
  await expect(passRow(page, nickname)).toContainText(`Hidden ID ${uid}`);
  await expect(page.getByLabel(`Mode of ${nickname}`)).toHaveValue('whitelist');
});

test('"My organization" at the bottom left opens the partner\'s own Organization settings', async ({ page }) => {
  await login(page, PARTNER);
  await goToCustomer(page, 'Brouwerij De Kroon');
  await menu(page, 'Passes');
  await expect(passRow(page, 'Lease car')).toContainText('NL-TNM-B12345-7');

  await mainMenu(page).getByRole('link', { name: 'My organization' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Organization settings' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link')).toHaveText(['Volta Partners']);
  const volta = (await serverFn(page.request, 'current_user', {})).body as { home_org: { id: number } };
  await expect(page).toHaveURL(new RegExp(`/orgs/${volta.home_org.id}/settings$`));
  // The partner's own organization has no passes of its own; the customer's "Lease car" is not listed here.
  await expect(page.getByRole('heading', { level: 2, name: 'Passes' })).toBeVisible();
  await expect(page.getByText('No passes yet')).toBeVisible();
  await expect(page.getByLabel('Mode of Lease car')).toHaveCount(0);
});

test('several passes for the same user, one after the other ("Repeat from step 4")', async ({ page, baseURL }) => {
  const api = await apiAs(baseURL!, PARTNER);
  const c = await newCustomerWithCardholder(api, 'Two cards customer');
  await api.dispose();
  const cards: { nickname: string; mode: string; publicCardId?: string; hiddenId?: string }[] = [
    { nickname: 'Own car', publicCardId: 'PT-739-02837ABCZ-Z', mode: 'Roaming' },
    { nickname: 'Key fob', hiddenId: uniqueHiddenId(), mode: 'Whitelist' },
  ];

  await login(page, PARTNER);
  await goToCustomer(page, c.name);
  await menu(page, 'Passes');
  for (const card of cards) {
    // No reload in between: "+ Add Pass" opens the form again after a save.
    const f = await openAddPass(page);
    await f.user.selectOption({ label: `${c.userName} (${c.user.email})` });
    if (card.publicCardId) await f.publicCardId.fill(card.publicCardId);
    if (card.hiddenId) await f.hiddenId.fill(card.hiddenId);
    await f.nickname.fill(card.nickname);
    await f.save.click();
    await expect(page.getByRole('status').filter({ hasText: `The pass was added as ${card.mode}.` })).toBeVisible();
    await expect(f.form).toBeHidden();
    await expect(passRow(page, card.nickname).getByRole('cell').nth(3)).toHaveText(card.mode);
  }
  await expect(page.getByRole('row')).toHaveCount(3);

  await menu(page, 'Users');
  await expect(page.getByRole('row').filter({ hasText: c.user.email }).getByRole('cell').nth(3)).toHaveText('2');
});

test('the partner adds two customers one after the other', async ({ page }) => {
  const names = [`First customer ${unique()}`, `Second customer ${unique()}`];
  await login(page, PARTNER);
  for (const name of names) {
    // No reload in between: "+ Add Organization" opens the form again after a save.
    await page.getByRole('button', { name: '+ Add Organization' }).click();
    const form = page.getByRole('form', { name: 'Add organization' });
    await form.getByLabel('Organization name').fill(name);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form).toBeHidden();
    await expect(tile(page, name)).toBeVisible();
  }
});
