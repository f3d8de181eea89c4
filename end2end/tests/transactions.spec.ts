import * as fs from 'fs';
import { expect, test } from '@playwright/test';
import { EMMA, PARTNER, goToCustomer, login, menu } from './helpers';

// "Transactions" (issue #11, part 4): the filter in the address, its totals and chart, and the downloads of
// exactly the filtered sessions; a cardholder's own sessions under "My passes". The demo has about 100 days of
// sessions at the hotel's CP-ZONNEVELD-1, settled (Emma's roaming card) and whitelisted ones.

test('the partner filters the hotel\'s transactions by billing, sees the chart and downloads them', async ({ page }) => {
  await login(page, PARTNER);
  await goToCustomer(page, 'Hotel Zonneveld');
  await menu(page, 'Transactions');
  await expect(page.getByRole('heading', { level: 1, name: 'Transactions' })).toBeVisible();
  const totals = page.getByText(/^[\d,]+ sessions? · [\d,.]+ kWh/);
  await expect(totals).toBeVisible();
  const before = (await totals.textContent())!;
  await expect(page.getByRole('img', { name: /^Energy per day, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}: / })).toBeVisible();

  await page.getByLabel('Billing', { exact: true }).selectOption({ label: 'Settled' });
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await expect(page).toHaveURL(/[?&]billing=settled(&|$)/);
  await expect(page.getByLabel('Billing', { exact: true })).toHaveValue('settled');
  await expect(totals).not.toHaveText(before);
  const rows = page.getByRole('table', { name: 'Transactions, newest first' }).locator('tbody > tr');
  await expect(rows.first()).toBeVisible();
  await expect.poll(async () => (await rows.allInnerTexts()).every((row) => row.includes('Settled'))).toBe(true);
  await expect(page.getByRole('img', { name: /^Energy per day/ })).toBeVisible();
  await expect(page.getByText(/^The file holds [\d,]+ sessions? \(the filter's\); your browser shows the download's progress\.$/)).toBeVisible();
  const settledCount = Number((await totals.textContent())!.match(/^([\d,]+) session/)![1].replace(/,/g, ''));

  // XLSX: a zip (an Office Open XML workbook), named after the organization.
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download XLSX' }).click()]);
  expect(xlsx.suggestedFilename()).toMatch(/^transactions-hotel-zonneveld-\d{4}-\d{2}-\d{2}\.xlsx$/);
  const xlsxBytes = fs.readFileSync((await xlsx.path())!);
  expect(xlsxBytes.subarray(0, 2).toString()).toBe('PK');

  // CSV: every session the filter selects, all settled.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  expect(csv.suggestedFilename()).toMatch(/\.csv$/);
  const lines = fs.readFileSync((await csv.path())!, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  expect(lines[0]).toContain('Billing');
  expect(lines.length - 1).toBe(settledCount);
  expect(lines.slice(1).every((line) => line.includes(',Settled,'))).toBe(true);

  // The filter is the address: the back button returns to every session.
  await page.goBack();
  await expect(page).not.toHaveURL(/billing=/);
  await expect(totals).toHaveText(before);
});

test('a wrong filter in the address is shown at its field', async ({ page }) => {
  await login(page, PARTNER);
  const org = await goToCustomer(page, 'Hotel Zonneveld');
  await page.goto(`/orgs/${org}/transactions?from=2026-11-30&to=2026-11-01`);
  await expect(page.getByText('“To” is before “From”: choose a later day.')).toBeVisible();
  await expect(page.getByText('Correct the filter')).toBeVisible();
});

test('a cardholder sees the sessions of her own pass with their cost under "My passes"', async ({ page }) => {
  await login(page, EMMA);
  await expect(page).toHaveURL(/\/my\/passes$/);
  const pass = page.getByRole('list', { name: 'My passes' }).getByRole('listitem').filter({ hasText: 'Shuttle bus' });
  const sessions = pass.getByRole('table', { name: 'Sessions with Shuttle bus' });
  await expect(sessions).toBeVisible();
  const rows = sessions.locator('tbody > tr');
  await expect(rows).toHaveCount(5);
  await expect(rows.first()).toContainText('Settled');
  await expect(rows.first()).toContainText(/€\d+\.\d{2}/);
  await expect(rows.first()).toContainText('kWh');
  // The others behind "More sessions".
  await pass.getByText(/^More sessions \(\d+\)$/).click();
  await expect(pass.getByRole('table', { name: 'More sessions with Shuttle bus' })).toBeVisible();
});
