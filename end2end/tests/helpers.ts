import { expect, request as playwrightRequest, type APIRequestContext, type Locator, type Page } from '@playwright/test';

// Shared steps of the end-to-end tests. Everything is selected by role and label, in the help article's wording
// ("Organizations", "Users", "Passes", "+ Add Pass", "Public Card ID", "Hidden ID", "Nickname", ...). The only
// attribute selector is the hydration marker: a click before the wasm has taken over the page is lost.

export const DEMO_PASSWORD = 'chargedesk-demo';

export const PARTNER = 'eva@volta-partners.example';
export const KROON_ADMIN = 'sanne@dekroon.example';
export const LOGISTICS_ADMIN = 'daan@dekroon.example';
export const HOTEL_ADMIN = 'joost@hotelzonneveld.example';
export const JAN = 'jan@dekroon.example';
export const EMMA = 'emma@hotelzonneveld.example';

const counter = { n: 0 };

/** A suffix unique within and across runs, for names, e-mails and IDs. */
export function unique(): string {
  counter.n += 1;
  return `${Date.now().toString(36)}${counter.n.toString(36)}`;
}

/** A 14-hex-character Hidden ID (7-byte UID) that no other test uses. */
export function uniqueHiddenId(): string {
  counter.n += 1;
  const time = Date.now().toString(16).slice(-10).padStart(10, '0');
  const count = (counter.n % 256).toString(16).padStart(2, '0');
  return `04${time}${count}`.toUpperCase();
}

/** Waits until the wasm has hydrated the page; call after every full page load. */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForLoadState('load');
  await expect(page.locator('[data-hydrated=true]')).toBeAttached();
}

/** Loads `path` and waits for hydration. */
export async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await hydrated(page);
}

/** The log-in form's fields and button. */
export function loginForm(page: Page) {
  const form = page.getByRole('form', { name: 'Log in' });
  return {
    form,
    email: form.getByLabel('E-mail'),
    password: form.getByLabel('Password'),
    submit: form.getByRole('button', { name: 'Log in' }),
  };
}

/** Logs in through the log-in page and waits for the start page (a full page load) to hydrate. */
export async function login(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await open(page, '/login');
  const f = loginForm(page);
  await f.email.fill(email);
  await f.password.fill(password);
  await f.submit.click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await hydrated(page);
}

export function mainMenu(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Main menu' });
}

/** Clicks an entry of the left-hand menu ("Organizations", "Users", "Passes", "Organization settings"). */
export async function menu(page: Page, name: string): Promise<void> {
  await mainMenu(page).getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
}

/** The tile of a customer (sub-organization) on the "Organizations" page. */
export function tile(page: Page, name: string): Locator {
  return page
    .getByRole('list', { name: 'Sub-organizations' })
    .getByRole('link')
    .filter({ has: page.getByText(name, { exact: true }) });
}

/** "Organizations" in the menu, then the customer's tile; waits until the breadcrumb names the customer. */
export async function goToCustomer(page: Page, name: string): Promise<number> {
  await menu(page, 'Organizations');
  await tile(page, name).click();
  await expect(page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name, exact: true }))
    .toHaveAttribute('aria-current', 'page');
  return orgIdOf(page);
}

/** The organization id in the current URL (`/orgs/<id>/...`). */
export function orgIdOf(page: Page): number {
  const m = new URL(page.url()).pathname.match(/^\/orgs\/(\d+)(\/|$)/);
  if (!m) throw new Error(`not on an organization page: ${page.url()}`);
  return Number(m[1]);
}

/** The message (`role="alert"`) shown at the form field labelled `label` (its own container). */
export function fieldContainer(page: Page | Locator, label: string): Locator {
  return page.getByLabel(label, { exact: true }).locator('xpath=..');
}

export function fieldAlert(page: Page | Locator, label: string): Locator {
  return fieldContainer(page, label).getByRole('alert');
}

export type ServerFnResult = { ok: boolean; status: number; body: unknown };

/** Calls a server function (`/api/<name>`) as a browser form post, with the cookies of `ctx`. */
export async function serverFn(
  ctx: APIRequestContext,
  name: string,
  form: Record<string, string | number | boolean>,
): Promise<ServerFnResult> {
  const response = await ctx.post(`/api/${name}`, { form });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text, the assertion will show it
  }
  return { ok: response.ok(), status: response.status(), body };
}

/** A request context of its own (no browser), logged in as `email`. Dispose it after use. */
export async function apiAs(baseURL: string, email: string): Promise<APIRequestContext> {
  const ctx = await playwrightRequest.newContext({ baseURL });
  const r = await serverFn(ctx, 'login', { email, password: DEMO_PASSWORD });
  expect(r.ok, `log-in of ${email}: ${JSON.stringify(r.body)}`).toBe(true);
  return ctx;
}

export type OrgSummary = { id: number; name: string };
export type UserSummary = { id: number; email: string; first_name: string; last_name: string };
export type PassSummary = { id: number; nickname: string; id_kind: string; id_value: string; mode: string };

export async function listOrganizations(ctx: APIRequestContext, org: number): Promise<OrgSummary[]> {
  const r = await serverFn(ctx, 'list_organizations', { org });
  expect(r.ok, JSON.stringify(r.body)).toBe(true);
  return r.body as OrgSummary[];
}

export async function listUsers(ctx: APIRequestContext, org: number): Promise<UserSummary[]> {
  const r = await serverFn(ctx, 'list_users', { org });
  expect(r.ok, JSON.stringify(r.body)).toBe(true);
  return r.body as UserSummary[];
}

export async function listPasses(ctx: APIRequestContext, org: number): Promise<PassSummary[]> {
  const r = await serverFn(ctx, 'list_passes', { org });
  expect(r.ok, JSON.stringify(r.body)).toBe(true);
  return r.body as PassSummary[];
}

/** The id of the organization called `name` below `parent` (as seen by `ctx`). */
export async function orgNamed(ctx: APIRequestContext, parent: number, name: string): Promise<number> {
  const org = (await listOrganizations(ctx, parent)).find((o) => o.name === name);
  if (!org) throw new Error(`no organization "${name}" below ${parent}`);
  return org.id;
}

/** The partner's own organization id (Volta Partners), from the partner's session. */
export async function homeOrgId(ctx: APIRequestContext): Promise<number> {
  const r = await serverFn(ctx, 'current_user', {});
  expect(r.ok, JSON.stringify(r.body)).toBe(true);
  const me = r.body as { home_org: { id: number } | null };
  if (!me.home_org) throw new Error('the caller has no home organization');
  return me.home_org.id;
}

/**
 * Setup through the server functions (not the subject of the test): a new customer below the partner's own
 * organization, with one cardholder. Each test gets its own customer, so tests never see each other's passes.
 */
export async function newCustomerWithCardholder(
  ctx: APIRequestContext,
  label: string,
): Promise<{ org: number; name: string; user: UserSummary; userName: string }> {
  const suffix = unique();
  const name = `${label} ${suffix}`;
  const partner = await homeOrgId(ctx);
  const added = await serverFn(ctx, 'add_organization', { org: partner, name });
  expect(added.ok, JSON.stringify(added.body)).toBe(true);
  const org = added.body as number;
  const email = `holder-${suffix}@example.com`;
  const u = await serverFn(ctx, 'add_user', {
    org,
    first_name: 'Kim',
    last_name: `Holder ${suffix}`,
    email,
    role: 'cardholder',
  });
  expect(u.ok, JSON.stringify(u.body)).toBe(true);
  const user = (await listUsers(ctx, org)).find((x) => x.email === email);
  if (!user) throw new Error('the new cardholder is missing');
  return { org, name, user, userName: `Kim Holder ${suffix}` };
}

/** The "+ Add Pass" form, opened. */
export async function openAddPass(page: Page) {
  await page.getByRole('button', { name: '+ Add Pass' }).click();
  const form = page.getByRole('form', { name: 'Add pass' });
  await expect(form).toBeVisible();
  return {
    form,
    user: form.getByLabel('User', { exact: true }),
    publicCardId: form.getByLabel('Public Card ID', { exact: true }),
    hiddenId: form.getByLabel('Hidden ID', { exact: true }),
    nickname: form.getByLabel('Nickname', { exact: true }),
    save: form.getByRole('button', { name: 'Save' }),
  };
}

/** The row of the pass called `nickname` in the table on the page. */
export function passRow(page: Page, nickname: string): Locator {
  return page.getByRole('row').filter({ has: page.getByRole('cell', { name: nickname, exact: true }) });
}
