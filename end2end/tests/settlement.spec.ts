import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PARTNER, expectSimOk, goToCustomer, login, menu, openStation, simulate, stationTab } from './helpers';

// Settlement (issue #11): a station's own tariff set in its Settings tab, a settled session by the simulator priced
// with it under "Transactions", the month-end run from the command line (again: nothing issued twice), and the
// demo hotel's credit statements under "Invoices" as PDF and CSV.

const HOTEL = 'Hotel Zonneveld';
const HOTEL_STATION = { id: 'CP-ZONNEVELD-1', name: 'Hotel car park' }; // Roaming + whitelisting, DC
// Emma's roaming card at the hotel (a Public Card ID, sent by the station without hyphens).
const ROAMING_CARD = 'DE8AA1A2B3C4D5V';

const port = Number(process.env.CHARGEDESK_E2E_PORT ?? 3100);
const root = path.resolve(__dirname, '..', '..');
const dataDir = path.join(root, 'target', `e2e-data-${port}`);
const server =
  process.env.CHARGEDESK_SERVER_BIN ??
  path.join(process.env.HOME ?? '', '.cache/chargedesk/target-leptos/release/server');

/** `server month-end --month <month>` on the running server's database; its standard output. */
function monthEnd(month: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(server, ['--data-dir', dataDir, 'month-end', '--month', month], { timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** The previous calendar month in Amsterdam as YYYY-MM. */
function previousMonth(): string {
  const [year, month] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit' })
    .format(new Date())
    .split('-')
    .map(Number);
  const y = month === 1 ? year - 1 : year;
  const m = month === 1 ? 12 : month - 1;
  return `${y}-${String(m).padStart(2, '0')}`;
}

test('a station tariff prices a settled session; Invoices has the statements as PDF and CSV', async ({ page }) => {
  await login(page, PARTNER);
  await goToCustomer(page, HOTEL);

  // The hotel car park's own tariff: €0.80/kWh DC and a €0.50 start fee, 21% VAT, nothing per hour.
  await openStation(page, HOTEL_STATION.name);
  await stationTab(page, 'Settings').click();
  const tariff = page.getByRole('form', { name: 'Tariff of this station' });
  await expect(tariff).toBeVisible();
  await expect(page.getByLabel('Current')).toHaveValue('dc');
  await tariff.getByLabel('Set a tariff for this station').check();
  const fields: [string, string][] = [
    ['Price per kWh (AC)', '0.35'],
    ['Price per kWh (DC)', '0.95'],
    ['Start fee per session', '0.50'],
    ['Price per hour of charging', ''],
    ['Price per idle hour', ''],
    ['Free idle minutes', ''],
    ['Maximum per session', ''],
    ['VAT (%)', '21'],
    ['Currency', 'EUR'],
  ];
  for (const [label, value] of fields) {
    await tariff.getByLabel(label, { exact: true }).fill(value);
  }
  // Above the platform's DC cap: refused at the field, in the browser already.
  await tariff.getByRole('button', { name: 'Save tariff' }).click();
  await expect(tariff.getByText("The price per kWh (€0.95) is above the platform's cap of €0.90 for DC stations.")).toBeVisible();
  await tariff.getByLabel('Price per kWh (DC)', { exact: true }).fill('0.80');
  await tariff.getByRole('button', { name: 'Save tariff' }).click();
  await expect(page.getByRole('status').filter({ hasText: "The station's tariff was saved." })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'In force: €0.35/kWh AC, €0.80/kWh DC, €0.50 per session, 21% VAT' })).toBeVisible();

  // A settled session with the roaming card: 10 kWh.
  const run = await simulate(['--id', HOTEL_STATION.id, '--charge', ROAMING_CARD, '--energy-wh', '10000', '--duration-secs', '2']);
  expectSimOk(run);

  // Priced with the tariff it started with: €0.50 + 10 kWh × €0.80 = €8.50, VAT €1.79, €10.29.
  await menu(page, 'Transactions');
  const row = page
    .getByRole('table', { name: 'Transactions, newest first' })
    .getByRole('row')
    .filter({ hasText: ROAMING_CARD })
    .first();
  await expect(row).toContainText('Settled');
  await expect(row).toContainText('€10.29');
  await expect(row).toContainText('€8.50 excl. VAT + €1.79 VAT');
  await expect(row).toContainText('the session is settled');

  // The month-end of last month was run by the demo already: running it again issues nothing.
  const output = await monthEnd(previousMonth());
  expect(output).toContain('0 statement(s) issued');

  // "Invoices": the hotel's months and statements, the PDF and the CSV.
  await menu(page, 'Invoices');
  await expect(page.getByRole('heading', { level: 1, name: 'Invoices' })).toBeVisible();
  const months = page.getByRole('list', { name: 'Months' });
  await expect(months.getByRole('listitem').first()).toContainText('This month is not over yet');
  await expect(months).toContainText('Statement VOLTAPAR-');
  const statements = page.getByRole('table', { name: 'Credit statements, newest first' });
  const first = statements.getByRole('row').nth(1);
  const number = (await first.getByRole('cell').first().textContent())!.trim();
  expect(number).toMatch(/^VOLTAPAR-\d{4}-\d{4}$/);
  const [pdf] = await Promise.all([page.waitForEvent('download'), first.getByRole('link', { name: `PDF of statement ${number}` }).click()]);
  expect(pdf.suggestedFilename()).toBe(`${number}.pdf`);
  const pdfBytes = fs.readFileSync((await pdf.path())!);
  expect(pdfBytes.subarray(0, 4).toString()).toBe('%PDF');
  const [csv] = await Promise.all([page.waitForEvent('download'), first.getByRole('link', { name: `CSV of statement ${number}` }).click()]);
  expect(csv.suggestedFilename()).toBe(`${number}.csv`);
  const lines = fs.readFileSync((await csv.path())!, 'utf8').trim().split(/\r?\n/);
  expect(lines[0]).toContain('energy_kwh');
  expect(lines.length).toBeGreaterThan(1);
  expect(lines.slice(1).every((line) => line.includes('Hotel car park'))).toBe(true);
});

test('De Kroon only charges whitelisted cards: its months have no credit invoice, and say why', async ({ page }) => {
  await login(page, PARTNER);
  await goToCustomer(page, 'Brouwerij De Kroon');
  await menu(page, 'Invoices');
  const months = page.getByRole('list', { name: 'Months' });
  await expect(months.getByRole('listitem').nth(1)).toContainText('Only whitelisted sessions: no credit invoice.');
  await expect(page.getByText('No credit statements yet')).toBeVisible();
});
