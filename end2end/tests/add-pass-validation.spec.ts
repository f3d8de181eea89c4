import { expect, test, type Page } from '@playwright/test';
import {
  PARTNER,
  apiAs,
  fieldAlert,
  fieldContainer,
  goToCustomer,
  homeOrgId,
  hydrated,
  listPasses,
  listUsers,
  login,
  menu,
  newCustomerWithCardholder,
  openAddPass,
  orgNamed,
  orgIdOf,
  passRow,
  serverFn,
  uniqueHiddenId,
} from './helpers';

// "+ Add Pass" mistakes, each reported at its field while typing (before Save), and refused again by the server
// when the browser's check is bypassed. The article's warnings: do not put the visible ID into the Hidden ID
// field, nor the Hidden ID into the Public Card ID field.

const PUBLIC = 'Public Card ID';
const HIDDEN = 'Hidden ID';
const NICKNAME = 'Nickname';
const USER = 'User';

/** Logs in as the partner, opens a fresh customer's "Passes" and the "+ Add Pass" form. */
async function openFormInFreshCustomer(page: Page, baseURL: string) {
  const api = await apiAs(baseURL, PARTNER);
  const c = await newCustomerWithCardholder(api, 'Validation customer');
  await api.dispose();
  await login(page, PARTNER);
  await goToCustomer(page, c.name);
  await menu(page, 'Passes');
  await expect(page.getByText('No passes yet')).toBeVisible();
  const f = await openAddPass(page);
  const userOption = `${c.userName} (${c.user.email})`;
  // Every request the form sends to the server; a refused Save must send none.
  const posts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/add_pass') posts.push(r.postData() ?? '');
  });
  return { ...f, customer: c, userOption, posts };
}

/** The message at `label`'s field, and no message at the other fields of the form. */
async function expectOnlyAt(page: Page, label: string, message: string | RegExp) {
  await expect(fieldAlert(page, label)).toHaveText(message);
  for (const other of [PUBLIC, HIDDEN, NICKNAME, USER].filter((l) => l !== label)) {
    await expect(fieldAlert(page, other), `no message at ${other}`).toHaveCount(0);
  }
  await expect(page.getByLabel(label, { exact: true })).toHaveAttribute('aria-invalid', 'true');
}

test.describe('"+ Add Pass" shows each mistake at its field before Save', () => {
  test('the visible ID in the Hidden ID field: the Hidden ID has no hyphens', async ({ page, baseURL }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    await f.user.selectOption({ label: f.userOption });
    await f.nickname.fill('Wrong field');
    await f.hiddenId.fill('NL-TNM-012204-5');
    await expectOnlyAt(
      page,
      HIDDEN,
      /^The Hidden ID does not contain hyphens\. .*you are probably looking at the visible ID.*enter it under Public Card ID instead\.$/,
    );
    // Without hyphens, a contract ID is still recognised as the visible ID.
    await f.hiddenId.fill('NLTNM0122045');
    await expectOnlyAt(page, HIDDEN, /looks like a Public Card ID.*Enter it under Public Card ID instead\./);

    await f.save.click();
    await expect(fieldAlert(page, HIDDEN)).toContainText('Public Card ID');
    await expect(page.getByText('No passes yet')).toBeVisible();
    expect(f.posts).toEqual([]);
  });

  test('a Hidden ID in the Public Card ID field: use the Hidden ID field', async ({ page, baseURL }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    await f.user.selectOption({ label: f.userOption });
    await f.nickname.fill('Wrong field');
    await f.publicCardId.fill('04AAAB11CD2345');
    await expectOnlyAt(page, PUBLIC, /^This looks like a Hidden ID \(UID\).*Enter it under Hidden ID instead\./);
    // Pasted with its byte separators, too.
    await f.publicCardId.fill('04:aa:ab:11:cd:23:45');
    await expectOnlyAt(page, PUBLIC, /^This looks like a Hidden ID \(UID\)/);

    await f.save.click();
    await expect(fieldAlert(page, PUBLIC)).toContainText('Enter it under Hidden ID instead.');
    await expect(page.getByText('No passes yet')).toBeVisible();
    expect(f.posts).toEqual([]);
  });

  test('a wrong check digit names the right one; Save is refused until "save it anyway" is ticked', async ({
    page,
    baseURL,
  }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    const saveAnyway = f.form.getByRole('checkbox', { name: 'The card shows exactly this ID — save it anyway' });
    await f.user.selectOption({ label: f.userOption });
    await f.nickname.fill('Typo card');
    await expect(saveAnyway).toHaveCount(0);
    await f.publicCardId.fill('NL-TNM-B12345-6');
    await expectOnlyAt(page, PUBLIC, /^The check character of NL-TNM-B12345 should be 7, but 6 was entered\./);
    await expect(saveAnyway).toBeVisible();
    await expect(saveAnyway).not.toBeChecked();

    await f.save.click();
    await expect(fieldAlert(page, PUBLIC)).toContainText('should be 7');
    await expect(f.form).toBeVisible();
    await expect(page.getByText('No passes yet')).toBeVisible();
    expect(f.posts).toEqual([]);

    await saveAnyway.check();
    await expect(fieldAlert(page, PUBLIC)).toHaveCount(0);
    // Still pointed out at the Public Card ID, as a warning that no longer blocks; not at the Hidden ID.
    await expect(fieldContainer(page, PUBLIC).getByRole('status')).toContainText('should be 7, but 6 was entered');
    await expect(fieldContainer(page, HIDDEN).getByRole('status')).toHaveCount(0);
    await f.save.click();
    await expect(page.getByRole('status').filter({ hasText: 'The pass was added as Roaming.' })).toBeVisible();
    await expect(passRow(page, 'Typo card')).toContainText('NL-TNM-B12345-6');
    expect(f.posts).toHaveLength(1);
    expect(new URLSearchParams(f.posts[0]).get('confirmed')).toBe('true');
  });

  test('changing the ID after ticking "save it anyway" needs a new confirmation', async ({ page, baseURL }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    const saveAnyway = f.form.getByRole('checkbox', { name: 'The card shows exactly this ID — save it anyway' });
    await f.user.selectOption({ label: f.userOption });
    await f.nickname.fill('Typo card');
    await f.publicCardId.fill('NL-TNM-B12345-6');
    await saveAnyway.check();
    await expect(fieldAlert(page, PUBLIC)).toHaveCount(0);
    await f.publicCardId.fill('NL-TNM-B12345-5');
    await expect(saveAnyway).not.toBeChecked();
    await expectOnlyAt(page, PUBLIC, /should be 7, but 5 was entered/);
    await f.save.click();
    await expect(page.getByText('No passes yet')).toBeVisible();
    expect(f.posts).toEqual([]);
  });

  test('characters that do not belong in an ID are named', async ({ page, baseURL }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    await f.user.selectOption({ label: f.userOption });
    await f.nickname.fill('Odd characters');
    await f.publicCardId.fill('NL-TNM-B12345_7');
    await expectOnlyAt(page, PUBLIC, /^A Public Card ID contains only letters, digits and hyphens; "_" is not allowed\./);
    await f.publicCardId.fill('NL TNM B12345 7');
    await expectOnlyAt(page, PUBLIC, /^A Public Card ID cannot contain spaces\./);

    await f.publicCardId.fill('');
    await f.hiddenId.fill('04AAAB11CD23GZ');
    await expectOnlyAt(page, HIDDEN, /^A Hidden ID contains only the digits 0-9 and the letters A-F; "G" is not allowed\./);

    await f.save.click();
    await expect(page.getByText('No passes yet')).toBeVisible();
    expect(f.posts).toEqual([]);
  });

  test('a UID longer than 20 hex characters', async ({ page, baseURL }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    await f.user.selectOption({ label: f.userOption });
    await f.nickname.fill('Long tag');
    await f.hiddenId.fill('04AAAB11CD2345AABBCCDDE'); // 23
    await expectOnlyAt(page, HIDDEN, /^A Hidden ID has at most 20 characters; this one has 23\./);
    await f.hiddenId.fill('04AAAB11CD2345AABBCCD'); // 21
    await expectOnlyAt(page, HIDDEN, /^A Hidden ID has at most 20 characters; this one has 21\./);
    await f.save.click();
    await expect(page.getByText('No passes yet')).toBeVisible();
    expect(f.posts).toEqual([]);
  });

  test('an unusual UID length is a warning at the Hidden ID only, and does not block Save', async ({
    page,
    baseURL,
  }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    await f.user.selectOption({ label: f.userOption });
    await f.nickname.fill('Short tag');
    await f.hiddenId.fill('04aaab11cd');
    await expect(fieldContainer(page, HIDDEN).getByRole('status')).toHaveText(
      /^Hidden IDs are usually 8, 14 or 20 hex characters .*; this one has 10\./,
    );
    await expect(fieldContainer(page, PUBLIC).getByRole('status')).toHaveCount(0);
    await expect(f.form.getByRole('alert')).toHaveCount(0);
    await f.save.click();
    await expect(page.getByRole('status').filter({ hasText: 'The pass was added as Whitelist.' })).toBeVisible();
    await expect(passRow(page, 'Short tag')).toContainText('04AAAB11CD');
  });

  test('both ID fields filled: one of the two', async ({ page, baseURL }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    await f.user.selectOption({ label: f.userOption });
    await f.nickname.fill('Both IDs');
    await f.publicCardId.fill('DE-8AA-001234567-0');
    await f.hiddenId.fill(uniqueHiddenId());
    await expectOnlyAt(page, HIDDEN, /^Fill in either the Public Card ID or the Hidden ID, not both\./);
    await f.save.click();
    await expect(page.getByText('No passes yet')).toBeVisible();
    expect(f.posts).toEqual([]);
    // Emptying one of them makes the form valid.
    await f.hiddenId.fill('');
    await expect(f.form.getByRole('alert')).toHaveCount(0);
    await expect(f.form.getByRole('status').filter({ hasText: 'This pass will start as Roaming.' })).toBeVisible();
  });

  test('missing nickname and missing user', async ({ page, baseURL }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    await f.publicCardId.fill('DE-8AA-001234567-0');
    await f.nickname.focus();
    await f.nickname.blur();
    await expectOnlyAt(page, NICKNAME, /^Give the pass a nickname/);
    await f.nickname.fill('Company car');
    await expect(fieldAlert(page, NICKNAME)).toHaveCount(0);

    await f.user.selectOption({ label: f.userOption });
    await f.user.selectOption({ label: 'Select a user…' });
    await expectOnlyAt(page, USER, 'Select the user who holds this pass.');
    await f.save.click();
    await expect(fieldAlert(page, USER)).toHaveText('Select the user who holds this pass.');

    await f.nickname.fill('   ');
    await f.save.click();
    await expect(fieldAlert(page, NICKNAME)).toContainText('Give the pass a nickname');
    await expect(page.getByText('No passes yet')).toBeVisible();
    expect(f.posts).toEqual([]);
  });

  test('Save on an empty form marks user, ID and nickname and sends nothing', async ({ page, baseURL }) => {
    const f = await openFormInFreshCustomer(page, baseURL!);
    await expect(f.form.getByRole('alert')).toHaveCount(0);
    await f.save.click();
    await expect(fieldAlert(page, USER)).toHaveText('Select the user who holds this pass.');
    await expect(fieldAlert(page, PUBLIC)).toContainText('Enter the Public Card ID printed on the card');
    await expect(fieldAlert(page, NICKNAME)).toContainText('Give the pass a nickname');
    await expect(fieldAlert(page, HIDDEN)).toHaveCount(0);
    expect(f.posts).toEqual([]);
  });
});

test('the server refuses each mistake on its own when the browser check is bypassed', async ({ page, baseURL }) => {
  const api = await apiAs(baseURL!, PARTNER);
  const c = await newCustomerWithCardholder(api, 'Bypass customer');
  const kroon = await orgNamed(api, await homeOrgId(api), 'Brouwerij De Kroon');
  const outsider = (await listUsers(api, kroon)).find((u) => u.email === 'pieter@dekroon.example');
  await api.dispose();
  expect(outsider).toBeDefined();

  // The logged-in page's own cookies (page.request shares the browser context's).
  await login(page, PARTNER);
  await goToCustomer(page, c.name);
  await menu(page, 'Passes');
  const org = orgIdOf(page);
  expect(org).toBe(c.org);
  const users = (await serverFn(page.request, 'list_users', { org })).body as { id: number; email: string }[];
  const user = users.find((u) => u.email === c.user.email)!;
  expect(user).toBeDefined();

  const valid = {
    org: String(org),
    user_id: String(user.id),
    public_card_id: '',
    hidden_id: '',
    nickname: 'Bypass',
    confirmed: 'false',
  };
  const cases: { what: string; form: Partial<typeof valid>; field: string; message: RegExp }[] = [
    { what: 'visible ID as Hidden ID', form: { hidden_id: 'NL-TNM-012204-5' }, field: 'hidden_id', message: /does not contain hyphens/ },
    { what: 'Hidden ID as Public Card ID', form: { public_card_id: '04AAAB11CD2345' }, field: 'public_card_id', message: /Enter it under Hidden ID instead/ },
    { what: 'wrong check digit, unconfirmed', form: { public_card_id: 'NL-TNM-B12345-6' }, field: 'public_card_id', message: /should be 7, but 6 was entered/ },
    { what: 'invalid character', form: { public_card_id: 'NL-TNM-B12345_7' }, field: 'public_card_id', message: /"_" is not allowed/ },
    { what: 'non-hex Hidden ID', form: { hidden_id: '04AAAB11CD23GZ' }, field: 'hidden_id', message: /"G" is not allowed/ },
    { what: 'UID of 21 hex characters', form: { hidden_id: '04AAAB11CD2345AABBCCD' }, field: 'hidden_id', message: /at most 20 characters; this one has 21/ },
    { what: 'both IDs', form: { public_card_id: 'DE-8AA-001234567-0', hidden_id: '04AAAB11CD2399' }, field: 'hidden_id', message: /not both/ },
    { what: 'no ID', form: {}, field: 'public_card_id', message: /Enter the Public Card ID/ },
    { what: 'missing nickname', form: { public_card_id: 'DE-8AA-001234567-0', nickname: '  ' }, field: 'nickname', message: /Give the pass a nickname/ },
    { what: 'missing user', form: { public_card_id: 'DE-8AA-001234567-0', user_id: '' }, field: 'user_id', message: /Select the user who holds this pass/ },
    { what: 'user of another organization', form: { public_card_id: 'DE-8AA-001234567-0', user_id: String(outsider!.id) }, field: 'user_id', message: /not a member of this organization/ },
  ];
  for (const k of cases) {
    const r = await serverFn(page.request, 'add_pass', { ...valid, ...k.form });
    expect(r.ok, `${k.what}: refused`).toBe(false);
    const body = r.body as { Invalid?: { field: string; message: string } };
    expect(body.Invalid, `${k.what}: ${JSON.stringify(r.body)}`).toBeDefined();
    expect(body.Invalid!.field, k.what).toBe(k.field);
    expect(body.Invalid!.message, k.what).toMatch(k.message);
  }
  expect(await listPasses(page.request, org)).toEqual([]);
  await page.reload();
  await hydrated(page);
  await expect(page.getByText('No passes yet')).toBeVisible();

  // The same request is accepted once confirmed, so the refusals above were about the input only...
  const ok = await serverFn(page.request, 'add_pass', { ...valid, public_card_id: 'NL-TNM-B12345-6', confirmed: 'true' });
  expect(ok.ok, JSON.stringify(ok.body)).toBe(true);
  expect(ok.body).toMatchObject({ mode: 'roaming' });
  // ...and the same card twice in one organization is a conflict at its field.
  const again = await serverFn(page.request, 'add_pass', { ...valid, public_card_id: 'nl-tnm-b12345-6', confirmed: 'true', nickname: 'Again' });
  expect(again.ok).toBe(false);
  expect(again.body).toMatchObject({ Conflict: { field: 'public_card_id' } });
  expect((again.body as { Conflict: { message: string } }).Conflict.message).toContain('already registered in this organization');

  const passes = await listPasses(page.request, org);
  expect(passes.map((p) => [p.nickname, p.id_value, p.mode])).toEqual([['Bypass', 'NL-TNM-B12345-6', 'roaming']]);
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('row')).toHaveCount(2); // header + the one pass
  await expect(passRow(page, 'Bypass')).toContainText('NL-TNM-B12345-6');
});
