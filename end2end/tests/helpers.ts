import { expect, request as playwrightRequest, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Shared steps of the end-to-end tests. Everything is selected by role and label, in the help article's wording
// ("Organizations", "Users", "Passes", "+ Add Pass", "Public Card ID", "Hidden ID", "Nickname", ...). The only
// attribute selector is the hydration marker: a click before the wasm has taken over the page is lost.

export const DEMO_PASSWORD = 'chargedesk-demo';

/**
 * The demo stations' OCPP passwords, published like the demo users' password (`storage::DEMO_STATIONS`, printed by
 * `serve --demo`). The simulator gets them in CHARGEDESK_STATION_PASSWORD, never on its command line.
 */
export const DEMO_STATION_PASSWORDS: Record<string, string> = {
  'CP-KROON-1': 'kroon-1-demo-station-key',
  'CP-LOGISTICS-1': 'logistics-1-demo-station-key',
  'CP-ZONNEVELD-1': 'zonneveld-1-demo-station-key',
};

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
/** A row of "Users": `id` is the member id of that membership (random, per organization), not the account's id;
 * it is what add_pass (`user_id`) and remove_user (`user`) take, and only in that organization. */
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
  // One page of the newest passes (at most 200, the server's cap): enough for the tests' organizations.
  const r = await serverFn(ctx, 'list_passes', { org, size: 200 });
  expect(r.ok, JSON.stringify(r.body)).toBe(true);
  return (r.body as { items: PassSummary[] }).items;
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

// ---------------------------------------------------------------------------------------------------------------
// The charge point simulator (`chargepoint-sim`, built by `cargo build -p sim --bin chargepoint-sim`), playing a
// station against the server under test. It connects to ws://<the config's baseURL host>/ocpp/<ID> and prints one
// JSON object per event (`--json`).

/** The simulator binary: CHARGEDESK_SIM_BIN, else where scripts/test.sh builds it. */
export const SIM_BIN =
  process.env.CHARGEDESK_SIM_BIN ?? path.join(process.env.HOME ?? '', '.cache/chargedesk/target/debug/chargepoint-sim');

/** `ws://127.0.0.1:<port>/ocpp`: the OCPP endpoint of the server under test (the port of the config's baseURL). */
export function ocppUrl(): string {
  const base = test.info().project.use.baseURL;
  if (!base) throw new Error('the Playwright config sets no baseURL');
  const url = new URL(base);
  return `ws://${url.host}/ocpp`;
}

/** One line of the simulator's `--json` output. */
export type SimEvent = {
  event: 'connected' | 'exchange' | 'command' | 'offline-authorize' | 'ignored' | 'note' | 'error';
  action?: string;
  request?: string;
  ok?: boolean;
  response?: string;
  error?: string;
  received?: unknown;
  text?: string;
  message?: string;
  exitCode?: number;
};

export type SimResult = { code: number; events: SimEvent[]; stdout: string; stderr: string };

/**
 * How the simulated station logs in: `password` (a string) is its password; `null` sends none; left out, a demo
 * station (`--id` in {@link DEMO_STATION_PASSWORDS}) logs in with its demo password and any other station with none.
 */
export type SimLogin = { password?: string | null };

/** The simulator's environment: ours, with CHARGEDESK_STATION_PASSWORD set to the station's password or removed. */
function simEnv(args: string[], login: SimLogin): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CHARGEDESK_STATION_PASSWORD;
  const idAt = args.indexOf('--id');
  const id = idAt >= 0 ? args[idAt + 1] : undefined;
  const password = login.password === undefined ? (id ? DEMO_STATION_PASSWORDS[id] : undefined) : login.password;
  if (password) env.CHARGEDESK_STATION_PASSWORD = password;
  return env;
}

function parseSimLines(stdout: string): SimEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as SimEvent);
}

/**
 * Runs the simulator to its end with `args` (e.g. `['--id', 'CP-KROON-1', '--tap', uid]`), adding `--url` and
 * `--json`, logging in as `login` says. Resolves with the exit code (0 ok, 3 could not connect, ...) and the parsed
 * JSON lines; never rejects on a non-zero exit, so the test can assert it.
 */
export function simulate(args: string[], login: SimLogin = {}, timeoutMs = 45_000): Promise<SimResult> {
  return new Promise((resolve, reject) => {
    execFile(
      SIM_BIN,
      ['--url', ocppUrl(), '--json', ...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: simEnv(args, login) },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit code: the binary is missing (ENOENT) or was killed by the timeout.
          reject(new Error(`${SIM_BIN} ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        const code = error ? (error.code as number) : 0;
        resolve({ code, events: parseSimLines(stdout), stdout, stderr });
      },
    );
  });
}

/** The idTagInfo.status of every Authorize answer in a simulator run, in order ("Accepted", "Invalid", ...). */
export function authorizeStatuses(run: SimResult): string[] {
  return run.events
    .filter((e) => e.event === 'exchange' && e.action === 'Authorize')
    .map((e) => {
      const frame = e.received as [number, string, { idTagInfo?: { status?: string } }] | undefined;
      return frame?.[2]?.idTagInfo?.status ?? `no answer (${e.error ?? 'none'})`;
    });
}

/** Asserts that the run ended with exit code 0, showing its output otherwise. */
export function expectSimOk(run: SimResult): void {
  expect(run.code, `simulator failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
}

/** Asserts that the central system refused the simulator's connection with HTTP 401 (exit code 3, no exchange). */
export function expectSimRefused401(run: SimResult): void {
  expect(run.code, `simulator was not refused:\n${run.stdout}\n${run.stderr}`).toBe(3);
  expect(run.events.filter((e) => e.event === 'exchange')).toEqual([]);
  expect(run.stderr).toContain('HTTP 401 Unauthorized');
}

/** A simulator running in the background (e.g. with `--hold-secs`). */
export type BackgroundSim = {
  events: SimEvent[];
  /** Resolves once an event satisfies `predicate` (rejects if the simulator ends first or after `timeoutMs`). */
  waitFor(predicate: (e: SimEvent) => boolean, timeoutMs?: number): Promise<SimEvent>;
  /** Ctrl-C (SIGINT: the simulator closes the connection cleanly); resolves with the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
};

/**
 * Starts the simulator with `args` (plus `--url`, `--json`, logging in as `login` says) without waiting for its end.
 * Always `stop()` it.
 */
export function simulateInBackground(args: string[], login: SimLogin = {}): BackgroundSim {
  const child = spawn(SIM_BIN, ['--url', ocppUrl(), '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: simEnv(args, login),
  });
  const events: SimEvent[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  let failure: Error | undefined; // e.g. the binary is missing (ENOENT)
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    events.push(...parseSimLines(lines.join('\n')));
    listeners.forEach((l) => l());
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) => {
      failure = new Error(`${SIM_BIN}: ${error.message}`);
      listeners.forEach((l) => l());
      reject(failure);
    });
    child.on('exit', (code) => {
      listeners.forEach((l) => l());
      resolve(code);
    });
  });
  exited.catch(() => undefined);
  return {
    events,
    exited,
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (found) {
            done();
            resolve(found);
          } else if (failure) {
            done();
            reject(failure);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`the simulator ended (${child.exitCode ?? child.signalCode}):\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no such simulator event within ${timeoutMs} ms: ${JSON.stringify(events)}\n${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/**
 * Setup through the server functions: a new cardholder (unique e-mail) in the existing organization `org`.
 * Returns the user and the label the "User" select of "+ Add Pass" shows for them.
 */
export async function addCardholder(
  ctx: APIRequestContext,
  org: number,
  firstName = 'Robin',
): Promise<{ user: UserSummary; option: string }> {
  const suffix = unique();
  const email = `cardholder-${suffix}@example.com`;
  const lastName = `Tester ${suffix}`;
  const r = await serverFn(ctx, 'add_user', { org, first_name: firstName, last_name: lastName, email, role: 'cardholder' });
  expect(r.ok, JSON.stringify(r.body)).toBe(true);
  const user = (await listUsers(ctx, org)).find((u) => u.email === email);
  if (!user) throw new Error('the new cardholder is missing');
  return { user, option: `${firstName} ${lastName} (${email})` };
}

/** The table of charging stations on the "Assets" page. */
export function stationsTable(page: Page): Locator {
  return page.getByRole('table', { name: 'Charging stations' });
}

/** The row of the station called `name` on the "Assets" page. */
export function stationRow(page: Page, name: string): Locator {
  return stationsTable(page)
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name, exact: true }) });
}

/** "Assets" in the menu, then the station's row: its page opens on the "Overview" tab. */
export async function openStation(page: Page, name: string): Promise<void> {
  await menu(page, 'Assets');
  await stationRow(page, name).getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  await expect(stationTab(page, 'Overview')).toHaveAttribute('aria-current', 'page');
}

/** A tab of a station's page: "Overview", "Logs", "Commands", "Configuration" or "Settings". */
export function stationTab(
  page: Page,
  name: 'Overview' | 'Logs' | 'Commands' | 'Configuration' | 'Settings',
): Locator {
  return page.getByRole('navigation', { name: 'Station' }).getByRole('link', { name, exact: true });
}

/** Reloads the page (and waits for hydration) until `check` passes, e.g. for state a station changes. */
export async function reloadUntil(page: Page, check: () => Promise<void>, timeout = 20_000): Promise<void> {
  await expect(async () => {
    await page.reload();
    await hydrated(page);
    await check();
  }).toPass({ timeout, intervals: [500, 1000] });
}

// ---------------------------------------------------------------------------------------------------------------
// E-mail: the Playwright config starts a real SMTP server (aiosmtpd, end2end/mail/smtp_sink.py) and points the
// server under test at it; every message received is one JSON file in the directory below.

/** One message the test SMTP server received. */
export type ReceivedMail = { from: string; to: string[]; subject: string; text: string; html: string };

/** The test SMTP server's directory (the config's `mailDir`, for the config's baseURL port). */
function mailDir(): string {
  const base = test.info().project.use.baseURL;
  if (!base) throw new Error('the Playwright config sets no baseURL');
  const port = new URL(base).port;
  return path.join(__dirname, '..', '..', 'target', `e2e-mail-${port}`);
}

/** Every message received so far, oldest first. */
export function receivedMails(): ReceivedMail[] {
  const dir = mailDir();
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as ReceivedMail);
}

/** The messages to `address` received so far, oldest first. */
export function mailsTo(address: string): ReceivedMail[] {
  return receivedMails().filter((m) => m.to.map((t) => t.toLowerCase()).includes(address.toLowerCase()));
}

/** Waits until at least `nth + 1` messages to `address` have arrived and returns the `nth` (0-based). */
export async function waitForMail(address: string, nth = 0): Promise<ReceivedMail> {
  await expect
    .poll(() => mailsTo(address).length, {
      message: `mail number ${nth + 1} to ${address}`,
      timeout: 20_000,
      intervals: [200, 500, 1000],
    })
    .toBeGreaterThan(nth);
  return mailsTo(address)[nth];
}

/** The single-use link (`…/set-password#token=…`) in a mail's text and HTML bodies (they must agree). */
export function accountLink(mail: ReceivedMail): string {
  const pattern = /https?:\/\/[^\s"<>]+\/set-password#token=[A-Za-z0-9_-]+/;
  const inText = mail.text.match(pattern)?.[0];
  const inHtml = mail.html.match(pattern)?.[0];
  if (!inText) throw new Error(`no set-password link in the mail's text:\n${mail.text}`);
  expect(inHtml, 'the HTML body has the same link').toBe(inText);
  return inText;
}
