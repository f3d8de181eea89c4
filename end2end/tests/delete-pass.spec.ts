import { expect, test } from '@playwright/test';
import {
  PARTNER,
  apiAs,
  goToCustomer,
  hydrated,
  login,
  menu,
  newCustomerWithCardholder,
  openAddPass,
  passRow,
} from './helpers';

// The article's FAQ: a pass cannot be edited; delete it with the recycle-bin icon and add it again. The audit log
// keeps a record of both.

test('delete a pass with the recycle bin, add it again with the same ID, and find both in the audit log', async ({
  page,
  baseURL,
}) => {
  const api = await apiAs(baseURL!, PARTNER);
  const c = await newCustomerWithCardholder(api, 'Delete customer');
  await api.dispose();
  const nickname = 'Pool car';
  const id = 'IT-A1B-2C3E4F5G6-4';

  await login(page, PARTNER);
  await goToCustomer(page, c.name);
  await menu(page, 'Passes');

  const add = async () => {
    const f = await openAddPass(page);
    await f.user.selectOption({ label: `${c.userName} (${c.user.email})` });
    await f.publicCardId.fill(id);
    await f.nickname.fill(nickname);
    await f.save.click();
    await expect(page.getByRole('status').filter({ hasText: 'The pass was added as Roaming.' })).toBeVisible();
    await expect(passRow(page, nickname)).toHaveCount(1);
    await expect(passRow(page, nickname)).toContainText(id);
  };
  await add();

  // Cancel keeps the pass.
  const bin = page.getByRole('button', { name: `Delete pass ${nickname}` });
  await bin.click();
  let dialog = page.getByRole('alertdialog', { name: 'Delete this pass?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`${nickname} · Public Card ID ${id} · ${c.userName}`);
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(passRow(page, nickname)).toHaveCount(1);

  // Delete.
  await bin.click();
  dialog = page.getByRole('alertdialog', { name: 'Delete this pass?' });
  await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(
    page.getByRole('status').filter({ hasText: 'The pass was deleted. The audit log keeps a record of it.' }),
  ).toBeVisible();
  await expect(passRow(page, nickname)).toHaveCount(0);
  await expect(page.getByText('No passes yet')).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByText('No passes yet')).toBeVisible();

  // Added again with the same ID: no conflict with the deleted one.
  await add();
  await page.reload();
  await hydrated(page);
  await expect(passRow(page, nickname)).toHaveCount(1);

  await menu(page, 'Organization settings');
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Audit log' }).click();
  const entries = page.getByRole('list', { name: 'Audit log entries' }).getByRole('listitem');
  const aboutPass = entries.filter({ hasText: `pass "${nickname}" (Public Card ID ${id})` });
  await expect(aboutPass.filter({ hasText: 'Pass deleted' })).toHaveCount(1);
  await expect(aboutPass.filter({ hasText: 'Pass added' })).toHaveCount(2);
  await expect(aboutPass).toHaveCount(3);
  // Newest first: added, deleted, added; each by the partner administrator.
  await expect(aboutPass.nth(0)).toContainText('Pass added · Eva Visser');
  await expect(aboutPass.nth(1)).toContainText('Pass deleted · Eva Visser');
  await expect(aboutPass.nth(2)).toContainText('Pass added · Eva Visser');
  await expect(aboutPass.nth(1)).toContainText(`Deleted pass "${nickname}" (Public Card ID ${id}) of ${c.userName}`);
});

test('Escape closes the delete confirmation without deleting', async ({ page, baseURL }) => {
  const api = await apiAs(baseURL!, PARTNER);
  const c = await newCustomerWithCardholder(api, 'Escape customer');
  await api.dispose();
  const nickname = 'Garage tag';

  await login(page, PARTNER);
  await goToCustomer(page, c.name);
  await menu(page, 'Passes');
  const f = await openAddPass(page);
  await f.user.selectOption({ label: `${c.userName} (${c.user.email})` });
  await f.hiddenId.fill('04 A1 B2 C3 D4 E5 F7');
  await f.nickname.fill(nickname);
  await f.save.click();
  await expect(passRow(page, nickname)).toContainText('04A1B2C3D4E5F7');

  await page.getByRole('button', { name: `Delete pass ${nickname}` }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete this pass?' });
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await page.reload();
  await hydrated(page);
  await expect(passRow(page, nickname)).toHaveCount(1);
});
