import { expect, test } from '@playwright/test';
import {
  DEMO_PASSWORD,
  HOTEL_ADMIN,
  JAN,
  LOGISTICS_ADMIN,
  PARTNER,
  apiAs,
  fieldAlert,
  goToCustomer,
  homeOrgId,
  hydrated,
  login,
  loginForm,
  mainMenu,
  menu,
  newCustomerWithCardholder,
  open,
  orgNamed,
  serverFn,
  tile,
  unique,
  waitForMail,
} from './helpers';

const NO_ACCESS = 'This page does not exist or you do not have access to it.';

/** The ids of the demo organizations, looked up as the partner. */
async function demoOrgs(baseURL: string) {
  const api = await apiAs(baseURL, PARTNER);
  const volta = await homeOrgId(api);
  const kroon = await orgNamed(api, volta, 'Brouwerij De Kroon');
  const hotel = await orgNamed(api, volta, 'Hotel Zonneveld');
  const logistics = await orgNamed(api, kroon, 'De Kroon Logistics');
  const horeca = await orgNamed(api, kroon, 'De Kroon Horeca');
  await api.dispose();
  return { volta, kroon, hotel, logistics, horeca };
}

test('a cardholder lands on "My passes" and sees only their own passes', async ({ page }) => {
  await login(page, JAN);
  await expect(page).toHaveURL(/\/my\/passes$/);
  await expect(page.getByRole('heading', { level: 1, name: 'My passes' })).toBeVisible();
  // Jan's card is registered in De Kroon Logistics (Whitelist) and in De Kroon Horeca (Roaming).
  const passes = page.getByRole('list', { name: 'My passes' }).getByRole('listitem');
  await expect(passes).toHaveCount(2);
  await expect(passes.filter({ hasText: 'Company car' })).toHaveCount(2);
  await expect(passes.filter({ hasText: 'Public Card ID NL-TNM-012204-5' })).toHaveCount(2);
  await expect(passes.getByText('Whitelist', { exact: true })).toHaveCount(1);
  await expect(passes.getByText('Roaming', { exact: true })).toHaveCount(1);
  // Colleagues' passes in the same organizations are not shown.
  await expect(page.getByText('Delivery van tag')).toHaveCount(0);
  await expect(page.getByText('Bar manager tag')).toHaveCount(0);
  // No administration menu, and no "My organization".
  await expect(mainMenu(page).getByRole('link', { name: 'My passes' })).toBeVisible();
  for (const name of ['Organizations', 'Users', 'Passes', 'Organization settings', 'My organization']) {
    await expect(mainMenu(page).getByRole('link', { name, exact: true })).toHaveCount(0);
  }
});

test('a cardholder cannot open the Passes of their own or another organization, in the page or the API', async ({
  page,
  baseURL,
}) => {
  const orgs = await demoOrgs(baseURL!);
  await login(page, JAN);
  for (const org of [orgs.logistics, orgs.horeca, orgs.hotel]) {
    await open(page, `/orgs/${org}/passes`);
    await expect(page.getByRole('alert').filter({ hasText: NO_ACCESS })).toBeVisible();
    await expect(page.getByRole('row')).toHaveCount(0);
    await expect(page.getByText('Company car')).toHaveCount(0);
    await expect(page.getByText('Delivery van tag')).toHaveCount(0);
    await expect(page.getByText('Shuttle bus')).toHaveCount(0);
    await expect(page.getByRole('navigation', { name: 'Breadcrumb' })).toHaveCount(0);

    const r = await serverFn(page.request, 'list_passes', { org });
    expect(r.ok).toBe(false);
    expect(r.body).toBe('NoAccess');
  }
  // Nor may he add a pass for himself.
  const users = await serverFn(page.request, 'list_users', { org: orgs.logistics });
  expect(users.body).toBe('NoAccess');
  const add = await serverFn(page.request, 'add_pass', {
    org: orgs.logistics,
    user_id: '1',
    public_card_id: 'DE-8AA-001234567-0',
    hidden_id: '',
    nickname: 'Sneaky',
    confirmed: 'false',
  });
  expect(add.body).toBe('NoAccess');
});

test('an administrator of one sub-organization cannot reach its parent or siblings', async ({ page, baseURL }) => {
  const orgs = await demoOrgs(baseURL!);
  await login(page, LOGISTICS_ADMIN);
  await expect(page).toHaveURL(new RegExp(`/orgs/${orgs.logistics}/organizations$`));
  await menu(page, 'Passes');
  await expect(page.getByRole('row').filter({ hasText: 'Delivery van tag' })).toHaveCount(1);
  for (const org of [orgs.kroon, orgs.horeca, orgs.hotel]) {
    await open(page, `/orgs/${org}/passes`);
    await expect(page.getByRole('alert').filter({ hasText: NO_ACCESS })).toBeVisible();
    await expect(page.getByRole('row')).toHaveCount(0);
    expect((await serverFn(page.request, 'list_passes', { org })).body).toBe('NoAccess');
  }
});

test('log out returns to the log-in page, after which organization pages redirect to it', async ({ page }) => {
  await login(page, HOTEL_ADMIN);
  const orgPage = new URL(page.url()).pathname;
  expect(orgPage).toMatch(/^\/orgs\/\d+\/organizations$/);
  await expect(mainMenu(page)).toContainText('Joost van Dijk');
  await mainMenu(page).getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL('**/login');
  await hydrated(page);
  await expect(loginForm(page).submit).toBeVisible();

  await page.goto(orgPage.replace('organizations', 'passes'));
  await page.waitForURL('**/login');
  await hydrated(page);
  await expect(loginForm(page).email).toBeVisible();
  expect((await serverFn(page.request, 'current_user', {})).body).toBe('Unauthenticated');
});

test('a wrong password is reported at the password field', async ({ page }) => {
  await open(page, '/login');
  const f = loginForm(page);
  await f.email.fill(HOTEL_ADMIN);
  await f.password.fill('not-the-password');
  await f.submit.click();
  await expect(fieldAlert(page, 'Password')).toHaveText('The e-mail address or password is not correct.');
  await expect(fieldAlert(page, 'E-mail')).toHaveCount(0);
  await expect(page).toHaveURL(/\/login$/);

  await f.password.fill(DEMO_PASSWORD);
  await f.submit.click();
  await page.waitForURL(/\/orgs\/\d+\/organizations$/);
  await hydrated(page);
});

test('adding a user whose e-mail already has an account reuses that account', async ({ page, baseURL }) => {
  const api = await apiAs(baseURL!, PARTNER);
  const c = await newCustomerWithCardholder(api, 'Reuse customer');
  await api.dispose();

  await login(page, PARTNER);
  await goToCustomer(page, c.name);
  await menu(page, 'Users');
  const addUser = async (first: string, last: string, email: string) => {
    await page.getByRole('button', { name: '+ Add User' }).click();
    const form = page.getByRole('form', { name: 'Add user' });
    await form.getByLabel('First name').fill(first);
    await form.getByLabel('Last name').fill(last);
    await form.getByLabel('E-mail').fill(email);
    await form.getByLabel('Role').selectOption({ label: 'Cardholder' });
    await form.getByRole('button', { name: 'Save' }).click();
    return form;
  };
  // Emma already has an account at Hotel Zonneveld; typed here in other case and with another name.
  await addUser('Em', `Typed ${unique()}`, 'Emma@HotelZonneveld.example');
  const added = page.getByRole('status').filter({ hasText: 'An account with this e-mail address already existed.' });
  await expect(added).toHaveText(
    'An account with this e-mail address already existed. It was reused (not duplicated) and added to this organization; its name is unchanged. We sent them a notice.',
  );
  const row = page.getByRole('row').filter({ hasText: 'emma@hotelzonneveld.example' });
  // Invited here until she next logs in; she has a password, so she was told by e-mail, not sent a new password.
  await expect(row.getByRole('cell')).toHaveText(['Emma Smit', 'emma@hotelzonneveld.example', 'Cardholder', '0', 'Invited', /Resend invitation.*Remove/]);
  const notice = (await waitForMail('emma@hotelzonneveld.example')).text;
  expect(notice).toContain(c.name);
  expect(notice).not.toContain('/set-password');

  // Twice in the same organization is refused at the e-mail field.
  const form = await addUser('Emma', 'Smit', 'emma@hotelzonneveld.example');
  await expect(fieldAlert(form, 'E-mail')).toContainText('is already a member of this organization');
  await expect(page.getByRole('row').filter({ hasText: 'emma@hotelzonneveld.example' })).toHaveCount(1);

  // The partner's customer overview counts her once.
  await menu(page, 'Organizations');
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Volta Partners' }).click();
  await expect(tile(page, c.name)).toContainText('2 users · 0 passes');
});
