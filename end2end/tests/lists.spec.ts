import { expect, test } from '@playwright/test';
import { KROON_ADMIN, hydrated, login, menu, orgIdOf } from './helpers';

// "Passes" and "Transactions" are paged (issue #9): the page and the filter are in the address, so that the
// server renders the same page the browser shows; "Previous" and "Next" are links, greyed out without a neighbour.

test('the passes list shows its range, filters by mode in the address, and survives a reload', async ({ page }) => {
  await login(page, KROON_ADMIN);
  await menu(page, 'Passes');
  const pager = page.getByRole('navigation', { name: 'Pages of passes' });
  await expect(pager.getByRole('status')).toHaveText(/^1(–\d+)? of \d+$/);
  // The demo organization fits on one page: neither neighbour is a link.
  await expect(pager.getByRole('link')).toHaveCount(0);
  await expect(pager.getByText('Previous')).toHaveAttribute('aria-disabled', 'true');
  await expect(pager.getByText('Next')).toHaveAttribute('aria-disabled', 'true');

  // "Mode", with the keyboard: only roaming passes, and the address says so.
  const mode = page.getByLabel('Mode', { exact: true });
  await mode.focus();
  await mode.selectOption({ label: 'Roaming' });
  await expect(page).toHaveURL(/[?&]mode=roaming(&|$)/);
  const rows = page.getByRole('table', { name: 'Passes of this organization' }).locator('tbody > tr');
  const shown = async () => (await rows.allInnerTexts()).filter((t) => t.trim() !== '');
  // The list follows the address (the previous rows stay until the new page is there).
  await expect.poll(async () => (await shown()).some((row) => row.includes('Whitelist'))).toBe(false);
  for (const row of await shown()) {
    expect(row).toContain('Roaming');
    expect(row).not.toContain('Whitelist');
  }

  // The same address loaded afresh (server render, then hydration): the same filter and rows.
  const before = await shown();
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Mode', { exact: true })).toHaveValue('roaming');
  expect(await shown()).toEqual(before);

  // Back to every mode.
  await page.getByLabel('Mode', { exact: true }).selectOption({ label: 'All modes' });
  await expect(page).not.toHaveURL(/mode=/);
});

test('a damaged page link says so and leads back to the first page', async ({ page }) => {
  await login(page, KROON_ADMIN);
  await menu(page, 'Passes');
  const org = orgIdOf(page);
  await page.goto(`/orgs/${org}/passes?after=not-a-cursor`);
  await hydrated(page);
  await expect(page.getByRole('alert').filter({ hasText: 'This page link is damaged.' })).toBeVisible();
  await page.getByRole('link', { name: 'First page' }).click();
  await expect(page).toHaveURL(new RegExp(`/orgs/${org}/passes$`));
  await expect(page.getByRole('navigation', { name: 'Pages of passes' })).toBeVisible();
});

test('the transactions list filters by station in the address', async ({ page }) => {
  await login(page, KROON_ADMIN);
  await menu(page, 'Transactions');
  const station = page.getByLabel('Station', { exact: true });
  await expect(station.getByRole('option', { name: 'All stations' })).toHaveCount(1);
  const choices = await station.getByRole('option').allInnerTexts();
  expect(choices.length).toBeGreaterThan(1);
  await station.selectOption({ label: choices[1] });
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await expect(page).toHaveURL(/[?&]station=\d+(&|$)/);
  // Either that station's sessions with the range, or the empty state that offers every station.
  const cp = choices[1].match(/\(([^)]+)\)$/)![1];
  const pager = page.getByRole('navigation', { name: 'Pages of transactions' });
  const none = page.getByText('No transactions match this filter');
  await expect(pager.or(none)).toBeVisible();
  if (await pager.isVisible()) {
    const rows = page.getByRole('table', { name: 'Transactions, newest first' }).locator('tbody > tr');
    await expect.poll(async () => (await rows.allInnerTexts()).every((row) => row.includes(cp))).toBe(true);
  }
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Station', { exact: true })).toHaveValue(/^\d+$/);
});
