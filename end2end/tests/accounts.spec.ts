import { expect, test, type Browser, type Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import {
  PARTNER,
  accountLink,
  apiAs,
  goToCustomer,
  homeOrgId,
  hydrated,
  login,
  loginForm,
  mailsTo,
  menu,
  newCustomerWithCardholder,
  open,
  orgIdOf,
  serverFn,
  unique,
  waitForMail,
} from './helpers';

// Accounts people can use: a person added under "Users" gets an invitation by e-mail (through the real test SMTP
// server the config starts), sets a password with its single-use link and logs in; "Forgot your password?" works
// the same way; an administrator turns on two-factor authentication and logs in with a code from their app.

const NEW_PASSWORD = 'a long new passphrase';

/** The row of the user with e-mail `email` in the Users table. */
function userRow(page: Page, email: string) {
  return page.getByRole('row').filter({ has: page.getByRole('cell', { name: email, exact: true }) });
}

/** Opens a mailed single-use link in a browser of its own (no session) and sets `password` there. */
async function setPasswordWithLink(browser: Browser, link: string, password: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat new password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Set password and log in' }).click();
  await page.waitForURL((url) => url.pathname !== '/set-password');
  await hydrated(page);
  return page;
}

test('a partner invites an administrator: the e-mail link sets a password once, and they see only their organization', async ({
  page,
  browser,
  baseURL,
}) => {
  const suffix = unique();
  const customer = `Invited customer ${suffix}`;
  const email = `new-admin-${suffix}@example.com`;
  const api = await apiAs(baseURL!, PARTNER);
  const partnerOrg = await homeOrgId(api);
  const created = await serverFn(api, 'add_organization', { org: partnerOrg, name: customer });
  expect(created.ok, JSON.stringify(created.body)).toBe(true);
  await api.dispose();

  // The partner adds the customer's administrator under "Users".
  await login(page, PARTNER);
  const customerOrg = await goToCustomer(page, customer);
  await menu(page, 'Users');
  await page.getByRole('button', { name: '+ Add User' }).click();
  const form = page.getByRole('form', { name: 'Add user' });
  await form.getByLabel('First name', { exact: true }).fill('Noor');
  await form.getByLabel('Last name', { exact: true }).fill(`Admin ${suffix}`);
  await form.getByLabel('E-mail', { exact: true }).fill(email);
  await form.getByLabel('Role', { exact: true }).selectOption({ label: 'Administrator' });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The user was added.' })).toBeVisible();
  await expect(userRow(page, email)).toContainText('Invited');

  // The invitation arrives at the SMTP server: from ChargeDesk, naming the organization, with one link in both
  // bodies that starts with the server's address.
  const mail = await waitForMail(email);
  expect(mail.from).toContain('noreply@chargedesk.test');
  expect(mail.text).toContain(customer);
  expect(mail.html).toContain(customer);
  const link = accountLink(mail);
  expect(link.startsWith(`${baseURL}/set-password#token=`), link).toBe(true);

  // The new administrator sets a password and lands in their own organization, and only there.
  const invited = await setPasswordWithLink(browser, link, NEW_PASSWORD);
  expect(orgIdOf(invited)).toBe(customerOrg);
  await expect(invited.getByRole('heading', { level: 1, name: 'Organizations' })).toBeVisible();
  const breadcrumb = invited.getByRole('navigation', { name: 'Breadcrumb' });
  await expect(breadcrumb.getByRole('link', { name: customer, exact: true })).toBeVisible();
  await expect(breadcrumb.getByText('Volta Partners')).toHaveCount(0);
  const above = await serverFn(invited.request, 'list_organizations', { org: partnerOrg });
  // NoAccess: answered like an organization that does not exist.
  expect(above.status).toBe(404);
  // The token left the address bar.
  expect(new URL(invited.url()).hash).toBe('');

  // They log in again with that password.
  await invited.context().clearCookies();
  await login(invited, email, NEW_PASSWORD);
  expect(orgIdOf(invited)).toBe(customerOrg);
  await invited.context().close();

  // The link worked once.
  const reuse = await browser.newContext();
  const again = await reuse.newPage();
  await again.goto(link);
  await hydrated(again);
  await expect(again.getByText('This link has expired or was already used.')).toBeVisible();
  await reuse.close();

  // The partner now sees them as active.
  await page.reload();
  await hydrated(page);
  await expect(userRow(page, email)).toContainText('Active');
});

test('forgot password: the same answer for any address, a link by e-mail, and the new password logs in', async ({
  page,
  browser,
  baseURL,
}) => {
  const api = await apiAs(baseURL!, PARTNER);
  const c = await newCustomerWithCardholder(api, 'Forgot customer');
  await api.dispose();
  const invitation = await waitForMail(c.user.email);
  expect(accountLink(invitation)).toContain('/set-password#token=');

  // Asked for an address without an account: the same answer, and no mail.
  const nobody = `nobody-${unique()}@example.com`;
  const ask = async (address: string) => {
    await open(page, '/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
    await hydrated(page);
    await page.getByLabel('E-mail', { exact: true }).fill(address);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await expect(page.getByText('If an account exists for that address, we have sent it a link')).toBeVisible();
  };
  await ask(nobody);
  await ask(c.user.email);

  const reset = await waitForMail(c.user.email, 1);
  const link = accountLink(reset);
  expect(link).not.toBe(accountLink(invitation));
  expect(mailsTo(nobody)).toHaveLength(0);

  // The link sets the password; a cardholder lands on their passes.
  const holder = await setPasswordWithLink(browser, link, NEW_PASSWORD);
  await expect(holder).toHaveURL(/\/my\/passes$/);
  await holder.context().close();

  // The new password logs in; the old invitation link no longer works.
  await login(page, c.user.email, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/my\/passes$/);
  const stale = await browser.newContext();
  const old = await stale.newPage();
  await old.goto(accountLink(invitation));
  await hydrated(old);
  await expect(old.getByText('This link has expired or was already used.')).toBeVisible();
  await stale.close();
});

test('two-factor: an administrator enrols with the key and a code, then logs in with a code from the app', async ({
  page,
  browser,
  baseURL,
}) => {
  // Two log-ins within one 30-second step would need the same code twice, which is refused (no replay): the test
  // waits for the next step, so it may take a little over half a minute.
  test.setTimeout(120_000);
  const suffix = unique();
  const email = `totp-admin-${suffix}@example.com`;
  const api = await apiAs(baseURL!, PARTNER);
  const created = await serverFn(api, 'add_organization', { org: await homeOrgId(api), name: `TOTP customer ${suffix}` });
  expect(created.ok, JSON.stringify(created.body)).toBe(true);
  const added = await serverFn(api, 'add_user', {
    org: created.body as number,
    first_name: 'Tess',
    last_name: `Otp ${suffix}`,
    email,
    role: 'administrator',
  });
  expect(added.ok, JSON.stringify(added.body)).toBe(true);
  await api.dispose();
  const admin = await setPasswordWithLink(browser, accountLink(await waitForMail(email)), NEW_PASSWORD);
  await admin.context().close();

  // "My account" → set up: the key shown next to the QR code goes into the app; a code from it confirms.
  await login(page, email, NEW_PASSWORD);
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'My account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'My account' })).toBeVisible();
  const section = page.getByRole('region', { name: 'Two-factor authentication' });
  await section.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await expect(section.getByRole('img', { name: /QR code/ })).toBeVisible();
  const keyText = (await section.getByText(/Or enter this key/).locator('code').textContent()) ?? '';
  const key = keyText.replace(/[\s-]/g, '').toUpperCase();
  expect(key, 'a base32 key').toMatch(/^[A-Z2-7]{16,}=*$/);
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key), digits: 6, period: 30, algorithm: 'SHA1' });
  await section.getByLabel('Authentication code', { exact: true }).fill(totp.generate());
  await section.getByRole('button', { name: 'Confirm' }).click();
  await expect(section.getByRole('heading', { name: 'Recovery codes', exact: true })).toBeVisible();
  await expect(section.getByRole('list', { name: 'Your recovery codes' }).getByRole('listitem')).toHaveCount(10);
  await expect(section.getByText('Status: On')).toBeVisible();
  const enrolledStep = Math.floor(Date.now() / 30_000);

  // Log out; the password alone no longer logs in: the code from the app does (from the next time step).
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/\/login$/);
  await hydrated(page);
  const f = loginForm(page);
  await f.email.fill(email);
  await f.password.fill(NEW_PASSWORD);
  await f.submit.click();
  const code = page.getByLabel('Authentication code', { exact: true });
  await expect(code).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  await expect
    .poll(() => Math.floor(Date.now() / 30_000), { timeout: 35_000, intervals: [1000] })
    .toBeGreaterThan(enrolledStep);
  await code.fill(totp.generate());
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Organizations' })).toBeVisible();
});
