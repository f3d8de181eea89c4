import { expect, test, type Page } from '@playwright/test';
import {
  PARTNER,
  addCardholder,
  apiAs,
  authorizeStatuses,
  expectSimOk,
  expectSimRefused401,
  goToCustomer,
  homeOrgId,
  login,
  menu,
  openAddPass,
  openStation,
  orgIdOf,
  orgNamed,
  passRow,
  reloadUntil,
  simulate,
  simulateInBackground,
  stationRow,
  stationTab,
  unique,
  uniqueHiddenId,
} from './helpers';

// Charging stations with the charge point simulator playing the station over OCPP 1.6J: the help article's
// Hidden-ID path ("Hold the card against the RFID reader ... 'Logs' tab ... 'Filter selection' ... 'Authorize' ...
// copy the 'idTag' ... add the pass under 'Hidden ID'"), what the decisions say about a pass, and the station's
// state under "Assets". Every test taps a card (UID) of its own, so the tests do not see each other's taps.

const KROON = 'Brouwerij De Kroon';
const KROON_STATION = { id: 'CP-KROON-1', name: 'Brewery yard' }; // inherits Whitelisting
const HOTEL = 'Hotel Zonneveld';
const HOTEL_STATION = { id: 'CP-ZONNEVELD-1', name: 'Hotel car park' }; // Roaming + whitelisting

/** `2026-11-24 09:05:30 UTC` (how the Logs tab shows a message's time) as epoch milliseconds. */
function logTime(text: string): number {
  const m = text.trim().match(/^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) UTC$/);
  if (!m) throw new Error(`not a log time: "${text}"`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** Taps `uid` at the station and returns the status of its Authorize answer. */
async function tap(stationId: string, uid: string): Promise<string> {
  const run = await simulate(['--id', stationId, '--tap', uid]);
  expectSimOk(run);
  const statuses = authorizeStatuses(run);
  expect(statuses).toHaveLength(1);
  return statuses[0];
}

test('a card tapped at the station is found in its Logs by its idTag, added as a whitelisted pass, then charges free', async ({
  page,
  context,
  baseURL,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const uid = uniqueHiddenId();
  const s = unique();
  const first = 'Noor';
  const last = `Visser${s}`;
  const email = `noor.${s}@example.com`;
  const nickname = `Keyring tag ${s}`;

  // "Hold the non-public charging card or tag against the RFID reader ... note the time": unknown, so refused.
  const tappedFrom = Date.now() - 1000;
  expect(await tap(KROON_STATION.id, uid)).toBe('Invalid');
  const tappedUntil = Date.now() + 1000;

  await login(page, PARTNER);
  const kroon = await goToCustomer(page, KROON);

  // "Navigate to 'Users' ... add the user as either a cardholder or administrator".
  await menu(page, 'Users');
  await page.getByRole('button', { name: '+ Add User' }).click();
  const userForm = page.getByRole('form', { name: 'Add user' });
  await userForm.getByLabel('First name').fill(first);
  await userForm.getByLabel('Last name').fill(last);
  await userForm.getByLabel('E-mail').fill(email);
  await userForm.getByLabel('Role').selectOption({ label: 'Cardholder' });
  await userForm.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The user was added.' })).toBeVisible();

  // "Navigate to 'Assets' ... select the specific charging station ... by clicking on its row", then "Logs".
  await openStation(page, KROON_STATION.name);
  await expect(page.getByRole('definition').filter({ hasText: new RegExp(`^${KROON_STATION.id}$`) })).toBeVisible();
  await stationTab(page, 'Logs').click();
  await expect(stationTab(page, 'Logs')).toHaveAttribute('aria-current', 'page');

  // "In the 'Filter selection' dropdown, select the message type 'Authorize'".
  const filter = page.getByLabel('Filter selection');
  await filter.selectOption('Authorize');
  await expect(filter).toHaveValue('Authorize');
  const messages = page.getByRole('table', { name: 'OCPP messages, newest first' });
  // Messages are logged in batches: refresh until the tap is there.
  const tapRow = messages.getByRole('row').filter({ hasText: uid });
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(tapRow).toHaveCount(1, { timeout: 2000 });
  }).toPass({ timeout: 20_000 });
  // Only Authorize messages (the calls and their answers) are listed.
  const openers = messages.getByRole('button', { name: /^(CALL|CALLRESULT|CALLERROR) / });
  await expect(openers.first()).toBeVisible();
  for (const name of await openers.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))) {
    expect(name).toMatch(/^(CALL|CALLRESULT|CALLERROR) Authorize /);
  }

  // "Find the 'Authorize' message that matches the timestamp ... and click on it to open the message."
  const opener = tapRow.getByRole('button', { name: /^CALL Authorize from station at / });
  const at = logTime(await opener.innerText());
  expect(at).toBeGreaterThanOrEqual(Math.floor(tappedFrom / 1000) * 1000);
  expect(at).toBeLessThanOrEqual(tappedUntil);
  await opener.click();
  await expect(opener).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByLabel('Message content')).toContainText(`"idTag": "${uid}"`);
  await expect(
    page.getByText('No pass that counts at this station matches this card', { exact: false }),
  ).toBeVisible();

  // "Copy the string ... from the 'idTag' field, which represents the 'Hidden ID'".
  await page.getByRole('button', { name: 'Copy idTag' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(uid);

  // "Add as pass": "+ Add Pass" of the station's own organization, with the Hidden ID filled in.
  await page.getByRole('link', { name: 'Add as pass', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Passes' })).toBeVisible();
  expect(orgIdOf(page)).toBe(kroon);
  const form = page.getByRole('form', { name: 'Add pass' });
  await expect(form).toBeVisible();
  await expect(form.getByRole('status').filter({ hasText: "The Hidden ID is filled in from the station's log." }))
    .toBeVisible();
  const hiddenId = form.getByLabel('Hidden ID', { exact: true });
  await expect(hiddenId).toHaveValue(uid);
  await expect(form.getByLabel('Public Card ID', { exact: true })).toHaveValue('');
  // What was copied is what was filled in.
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await hiddenId.inputValue());
  await form.getByLabel('User', { exact: true }).selectOption({ label: `${first} ${last} (${email})` });
  await form.getByLabel('Nickname', { exact: true }).fill(nickname);
  await expect(form.getByRole('status').filter({ hasText: 'This pass will start as Whitelist.' })).toBeVisible();
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The pass was added as Whitelist.' })).toBeVisible();
  await expect(form).toBeHidden();
  const row = passRow(page, nickname);
  await expect(row).toContainText(`Hidden ID${uid}`);
  await expect(row).toContainText(`${first} ${last}`);
  await expect(row.getByRole('cell').nth(3)).toHaveText('Whitelist');

  // Tapped again: now accepted.
  expect(await tap(KROON_STATION.id, uid)).toBe('Accepted');

  // A charging session with the card: accepted, started and stopped by the central system.
  const energyWh = 2750;
  const session = await simulate(['--id', KROON_STATION.id, '--charge', uid, '--energy-wh', String(energyWh), '--duration-secs', '2']);
  expectSimOk(session);
  expect(authorizeStatuses(session)).toEqual(['Accepted']);
  const start = session.events.find((e) => e.event === 'exchange' && e.action === 'StartTransaction');
  expect(start?.ok, JSON.stringify(start)).toBe(true);
  const started = start!.received as [number, string, { transactionId: number; idTagInfo: { status: string } }];
  expect(started[2].idTagInfo.status).toBe('Accepted');
  expect(session.events.some((e) => e.event === 'exchange' && e.action === 'StopTransaction' && e.ok)).toBe(true);

  // "Transactions": the session at the brewery's station, whitelisted and free, with its energy.
  await menu(page, 'Transactions');
  const transaction = page
    .getByRole('table', { name: 'Transactions, newest first' })
    .getByRole('row')
    .filter({ hasText: uid });
  await expect(transaction).toHaveCount(1);
  const cells = transaction.getByRole('cell');
  await expect(cells.nth(0)).toHaveText(`${KROON_STATION.name}${KROON_STATION.id}`);
  await expect(cells.nth(1)).toHaveText('1');
  await expect(cells.nth(2)).toHaveText(`${nickname}${first} ${last}`);
  await expect(cells.nth(3)).toHaveText(uid);
  await expect(cells.nth(5)).not.toHaveText('Charging');
  await expect(cells.nth(6)).toHaveText('2.75 kWh');
  await expect(cells.nth(7)).toHaveText('Accepted');
  await expect(cells.nth(8)).toContainText('Whitelisted (free)');
  await expect(cells.nth(9)).toHaveText('Free');
});

test('a pass set to roaming is refused at a Whitelisting station, and its Decisions say why', async ({
  page,
  baseURL,
}) => {
  const api = await apiAs(baseURL!, PARTNER);
  const kroon = await orgNamed(api, await homeOrgId(api), KROON);
  const holder = await addCardholder(api, kroon, 'Mila');
  await api.dispose();
  const uid = uniqueHiddenId();
  const nickname = `Roaming tag ${unique()}`;

  // The partner adds the tag by Hidden ID in the brewery (it starts as Whitelist) and sets it to Roaming.
  await login(page, PARTNER);
  await goToCustomer(page, KROON);
  await menu(page, 'Passes');
  const f = await openAddPass(page);
  await f.user.selectOption({ label: holder.option });
  await f.hiddenId.fill(uid);
  await f.nickname.fill(nickname);
  await f.save.click();
  await expect(page.getByRole('status').filter({ hasText: 'The pass was added as Whitelist.' })).toBeVisible();

  await menu(page, 'Organization settings');
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Passes', exact: true }).click();
  const mode = page.getByLabel(`Mode of ${nickname}`);
  await expect(mode).toHaveValue('whitelist');
  const saved = page.waitForResponse((r) => r.url().endsWith('/api/set_pass_mode'));
  await mode.selectOption({ label: 'Roaming' });
  expect((await saved).ok()).toBe(true);
  await expect(mode).toBeEnabled();
  await expect(mode).toHaveValue('roaming');

  // The brewery's station inherits Whitelisting: a roaming pass does not charge there.
  expect(await tap(KROON_STATION.id, uid)).toBe('Invalid');

  // "Passes" → the pass's "Decisions": the refusal, with its reason.
  await menu(page, 'Passes');
  await expect(passRow(page, nickname).getByRole('cell').nth(3)).toHaveText('Roaming');
  const toggle = page.getByRole('button', { name: `Decisions of pass ${nickname}`, exact: true });
  const hide = page.getByRole('button', { name: `Hide decisions of pass ${nickname}`, exact: true });
  const decisions = page
    .getByRole('region', { name: 'Authorization decisions' })
    .getByRole('table', { name: 'Authorization decisions about this pass, newest first' });
  const rows = decisions.getByRole('row').filter({ has: page.getByRole('cell') });
  // Decisions are stored in batches with the message log: open the pass's decisions again until the tap's is there.
  await expect(async () => {
    if (await hide.count()) {
      await hide.click();
    }
    await toggle.click();
    await expect(hide).toHaveAttribute('aria-expanded', 'true');
    await expect(rows).toHaveCount(1, { timeout: 2000 });
  }).toPass({ timeout: 20_000 });
  const cells = rows.first().getByRole('cell');
  await expect(cells.nth(1)).toHaveText(`${KROON_STATION.name}${KROON_STATION.id}`);
  await expect(cells.nth(2)).toHaveText('Authorize');
  await expect(cells.nth(3)).toHaveText(uid);
  await expect(cells.nth(4)).toHaveText('Invalid');
  await expect(cells.nth(5)).toHaveText('Not charged');
  await expect(cells.nth(6)).toContainText(
    `pass "${nickname}" is set to roaming in organization ${KROON}; station access mode is Whitelisting`,
  );
});

test('the station is Online under Assets while the simulator holds its connection, and Offline after', async ({
  page,
}) => {
  await login(page, PARTNER);
  await goToCustomer(page, KROON);
  await menu(page, 'Assets');
  const status = stationRow(page, KROON_STATION.name).getByRole('cell').nth(2);
  await expect(stationRow(page, KROON_STATION.name)).toContainText(KROON_STATION.id);
  await reloadUntil(page, () => expect(status).toHaveText('Offline', { timeout: 2000 }));

  const sim = simulateInBackground(['--id', KROON_STATION.id, '--hold-secs', '20']);
  try {
    await sim.waitFor((e) => e.event === 'note' && (e.text ?? '').startsWith('holding the connection'));
    await reloadUntil(page, () => expect(status).toHaveText('Online', { timeout: 2000 }));

    // The station's page says so too, with what the station reported when it booted.
    await openStation(page, KROON_STATION.name);
    await expect(page.getByText(/^Online since \d{4}-\d\d-\d\d /)).toBeVisible();
    await expect(page.getByRole('definition').filter({ hasText: /^ChargeDesk$/ })).toBeVisible();
    await expect(page.getByRole('definition').filter({ hasText: /^Simulator$/ })).toBeVisible();
    await expect(page.getByRole('table', { name: 'Connector statuses' }).getByRole('row').filter({ hasText: 'Connector 1' }))
      .toContainText('Available');
  } finally {
    // Ctrl-C: the simulator closes the connection and exits normally.
    expect(await sim.stop()).toBe(0);
  }

  await menu(page, 'Assets');
  await reloadUntil(page, () => expect(status).toHaveText('Offline', { timeout: 2000 }));
});

test('the Overview lists a recently tapped unknown card with "Add as pass"; once added it is accepted', async ({
  page,
  baseURL,
}) => {
  const api = await apiAs(baseURL!, PARTNER);
  const hotel = await orgNamed(api, await homeOrgId(api), HOTEL);
  const holder = await addCardholder(api, hotel, 'Sem');
  await api.dispose();
  const uid = uniqueHiddenId();
  const nickname = `Guest tag ${unique()}`;

  // Unknown cards are refused in Roaming + whitelisting too (no roaming authorization with other platforms yet).
  expect(await tap(HOTEL_STATION.id, uid)).toBe('Invalid');

  await login(page, PARTNER);
  await goToCustomer(page, HOTEL);
  await openStation(page, HOTEL_STATION.name);
  const unknown = page
    .getByRole('region', { name: 'Recently tapped unknown cards' })
    .getByRole('list', { name: 'Recently tapped unknown cards' });
  const card = unknown.getByRole('listitem').filter({ hasText: uid });
  await reloadUntil(page, () => expect(card).toHaveCount(1, { timeout: 2000 }));
  await expect(card).toContainText('presented 1 time');
  await expect(card.getByRole('button', { name: 'Copy idTag' })).toBeVisible();
  const add = card.getByRole('link', { name: `Add as pass: ${uid}`, exact: true });
  await expect(add).toHaveText('Add as pass');

  await add.click();
  await expect(page.getByRole('heading', { level: 1, name: 'Passes' })).toBeVisible();
  expect(orgIdOf(page)).toBe(hotel);
  const form = page.getByRole('form', { name: 'Add pass' });
  await expect(form.getByLabel('Hidden ID', { exact: true })).toHaveValue(uid);
  await form.getByLabel('User', { exact: true }).selectOption({ label: holder.option });
  await form.getByLabel('Nickname', { exact: true }).fill(nickname);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The pass was added as Whitelist.' })).toBeVisible();
  await expect(passRow(page, nickname)).toContainText(`Hidden ID${uid}`);

  // No longer unknown: gone from the list, and accepted at the next tap.
  await openStation(page, HOTEL_STATION.name);
  await expect(page.getByRole('heading', { level: 2, name: 'Recently tapped unknown cards' })).toBeVisible();
  await expect(page.getByText(uid)).toHaveCount(0);
  expect(await tap(HOTEL_STATION.id, uid)).toBe('Accepted');
});

// ---------------------------------------------------------------------------------------------------------------
// A station is who it says it is: a generated password, shown once; connecting without one is an explicit choice.

/** The title (and screen-reader text) of the "Unauthenticated" badge. */
const UNAUTHENTICATED_TITLE = 'Connects without a password: anyone who can reach its OCPP URL can connect as this station.';

/** "+ Add Station" on the open "Assets" page, with or without the opt-in; returns the notice shown after saving. */
async function addStation(page: Page, cp: string, name: string, allowUnauthenticated: boolean) {
  await page.getByRole('button', { name: '+ Add Station' }).click();
  const form = page.getByRole('form', { name: 'Add station' });
  await form.getByLabel('Charge point ID', { exact: true }).fill(cp);
  await form.getByLabel('Name', { exact: true }).fill(name);
  const optOut = form.getByLabel('Allow unauthenticated connections — only on a closed network');
  await expect(optOut).not.toBeChecked();
  if (allowUnauthenticated) await optOut.check();
  await form.getByRole('button', { name: 'Save' }).click();
  const notice = page.getByRole('status').filter({ hasText: `Station ${cp} was added.` });
  await expect(notice).toBeVisible();
  return notice;
}

test('"+ Add Station" shows a generated password once; the simulator logs in with it and is refused without it', async ({
  page,
  baseURL,
}) => {
  const cp = `CP-E2E-${unique().toUpperCase()}`;
  const name = `Gate ${unique()}`;
  await login(page, PARTNER);
  await goToCustomer(page, KROON);
  await menu(page, 'Assets');
  const notice = await addStation(page, cp, name, false);

  // What to enter in the station: URL, user name and the password, each with a copy button.
  await expect(notice.getByLabel('OCPP URL')).toHaveValue(`ws://${new URL(baseURL!).host}/ocpp/${cp}`);
  await expect(notice.getByLabel('User name')).toHaveValue(cp);
  const password = await notice.getByLabel('Password', { exact: true }).inputValue();
  expect(password).toMatch(/^[2-9a-km-zA-HJ-NP-Z]{24}$/);
  for (const copy of ['Copy URL', 'Copy user name', 'Copy password']) {
    await expect(notice.getByRole('button', { name: copy })).toBeVisible();
  }
  await expect(notice).toContainText('it is shown only this once');
  await expect(stationRow(page, name)).toBeVisible();
  await expect(stationRow(page, name).getByTitle(/without a password/)).toHaveCount(0);

  // The station logs in with it (given in the environment, not on the command line) ...
  const uid = uniqueHiddenId();
  const run = await simulate(['--id', cp, '--tap', uid], { password });
  expectSimOk(run);
  expect(authorizeStatuses(run)).toEqual(['Invalid']);
  // ... and without it, or with another station's, it is refused.
  expectSimRefused401(await simulate(['--id', cp, '--tap', uid], { password: null }));
  expectSimRefused401(await simulate(['--id', cp, '--tap', uid], { password: 'kroon-1-demo-station-key' }));

  // Shown once: not after a reload, nor on the station's pages.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Assets' })).toBeVisible();
  await expect(page.getByText(password)).toHaveCount(0);
  await openStation(page, name);
  await expect(page.getByText(password)).toHaveCount(0);
  await stationTab(page, 'Settings').click();
  await expect(page.getByText('Password set', { exact: true })).toBeVisible();
  await expect(page.getByText(password)).toHaveCount(0);
});

test('a station allowed to connect without a password is marked "Unauthenticated"; a demo station without its password is refused', async ({
  page,
}) => {
  // The demo stations need their passwords.
  const uid = uniqueHiddenId();
  expectSimRefused401(await simulate(['--id', KROON_STATION.id, '--tap', uid], { password: null }));
  expect(await tap(KROON_STATION.id, uid)).toBe('Invalid');

  const cp = `CP-OPEN-${unique().toUpperCase()}`;
  const name = `Closed-network charger ${unique()}`;
  await login(page, PARTNER);
  await goToCustomer(page, KROON);
  await menu(page, 'Assets');
  const notice = await addStation(page, cp, name, true);
  await expect(notice.getByLabel('Password', { exact: true })).toHaveCount(0);
  await expect(notice).toContainText('It connects without a password');

  // The warning badge, with its explanation as title and for screen readers.
  const badge = stationRow(page, name).getByTitle(UNAUTHENTICATED_TITLE);
  await expect(badge).toContainText('Unauthenticated');
  await expect(stationRow(page, KROON_STATION.name).getByText('Unauthenticated')).toHaveCount(0);
  expectSimOk(await simulate(['--id', cp, '--tap', uid], { password: null }));

  // Settings: who allowed it; clearing the choice generates a password, shown once, which the station then needs.
  await openStation(page, name);
  await expect(page.getByTitle(UNAUTHENTICATED_TITLE).first()).toContainText('Unauthenticated');
  await stationTab(page, 'Settings').click();
  await expect(page.getByText(/^Allowed since \d{4}-\d\d-\d\d \d\d:\d\d UTC by Eva Visser\.$/)).toBeVisible();
  const choice = page.getByRole('form', { name: 'Unauthenticated connections' });
  const box = choice.getByLabel('Allow unauthenticated connections — only on a closed network');
  await expect(box).toBeChecked();
  await box.uncheck();
  await choice.getByRole('button', { name: 'Save choice' }).click();
  const shown = page.getByRole('status').filter({ hasText: 'A new password was generated.' });
  const password = await shown.getByLabel('Password', { exact: true }).inputValue();
  expect(password).toHaveLength(24);
  await expect(page.getByText('Password set', { exact: true })).toBeVisible();
  expectSimRefused401(await simulate(['--id', cp, '--tap', uid], { password: null }));
  expectSimOk(await simulate(['--id', cp, '--tap', uid], { password }));

  // "Generate new password", after a confirmation: the previous one stops working.
  await page.getByRole('button', { name: 'Generate new password' }).click();
  const confirm = page.getByRole('group', { name: 'Generate new password?' });
  await expect(confirm).toContainText('The current password stops working at once');
  await confirm.getByRole('button', { name: 'Generate new password' }).click();
  await expect(shown.getByLabel('Password', { exact: true })).not.toHaveValue(password);
  const next = await shown.getByLabel('Password', { exact: true }).inputValue();
  expectSimRefused401(await simulate(['--id', cp, '--tap', uid], { password }));
  expectSimOk(await simulate(['--id', cp, '--tap', uid], { password: next }));

  await menu(page, 'Assets');
  await expect(stationRow(page, name)).toBeVisible();
  await expect(stationRow(page, name).getByText('Unauthenticated')).toHaveCount(0);
});
