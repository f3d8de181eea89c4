import { expect, test, type Download, type Page } from '@playwright/test';
import fs from 'node:fs';
import { PARTNER, apiAs, homeOrgId, login, open, passRow, serverFn, unique, uniqueHiddenId } from './helpers';

// Bulk import and export of passes (issue #12), as the partner in a customer organization of its own (created
// for the test, so it neither depends on the demo data nor sees another run's passes): a file with an error is
// refused with the row's reason, its rows with errors come back as a file to correct, the corrected file is
// imported, the Passes list shows the passes in their modes, and the export imported again in Replace mode
// changes nothing.

/** A CSV file (comma-separated, UTF-8) of `rows` under the template's header, without the Organization column. */
function csv(rows: string[][]): string {
  const header = ['First name', 'Last name', 'E-mail', 'Public Card ID', 'Hidden ID', 'Nickname', 'Mode'];
  return [header, ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n';
}

async function chooseFile(page: Page, name: string, content: string | Buffer, mimeType = 'text/csv'): Promise<void> {
  const form = page.getByRole('form', { name: 'Import passes' });
  await form.getByLabel('File', { exact: true }).setInputFiles({
    name,
    mimeType,
    buffer: typeof content === 'string' ? Buffer.from(content, 'utf8') : content,
  });
}

/** "Check file", then the preview's heading (the summary). */
async function checkFile(page: Page): Promise<void> {
  await page.getByRole('form', { name: 'Import passes' }).getByRole('button', { name: 'Check file' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /^\d+ rows?: / })).toBeVisible();
}

async function downloaded(page: Page, start: () => Promise<void>): Promise<{ download: Download; text: string }> {
  const next = page.waitForEvent('download');
  await start();
  const download = await next;
  const file = await download.path();
  return { download, text: fs.readFileSync(file, 'utf8') };
}

/** The lines of a CSV file with content (a byte-order mark removed). */
function lines(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
}

test('partner imports passes from a file: errors come back as a file, the corrected file imports, the export round-trips', async ({
  page,
  baseURL,
}) => {
  const ctx = await apiAs(baseURL!, PARTNER);
  const suffix = unique();
  const customer = `Import Customer ${suffix}`;
  const added = await serverFn(ctx, 'add_organization', { org: await homeOrgId(ctx), name: customer });
  expect(added.ok, JSON.stringify(added.body)).toBe(true);
  const org = added.body as number;
  await ctx.dispose();

  const tag = `Tag Ilse ${suffix}`;
  const card = `Card Wim ${suffix}`;
  const roaming = `Tag Jan ${suffix}`;
  const janEmail = `jan-${suffix}@example.com`;
  const good = [
    ['Ilse', 'Vermeer', `ilse-${suffix}@example.com`, '', uniqueHiddenId(), tag, ''],
    ['Wim', 'Werk', `wim-${suffix}@example.com`, 'NL-TNM-012204-5', '', card, 'Whitelist'],
  ];
  const bad = ['Jan', 'Smit', 'not-an-email', '', uniqueHiddenId(), roaming, 'Roaming'];

  // a) Passes → "Import"; a file with one wrong e-mail address.
  await login(page, PARTNER);
  await open(page, `/orgs/${org}/passes`);
  await expect(page.getByRole('link', { name: 'Export CSV', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Export XLSX', exact: true })).toBeVisible();
  await page.getByRole('link', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Import passes' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Template (CSV)' })).toHaveAttribute(
    'href',
    `/api/passes/template/template.csv?org=${org}`,
  );
  await expect(page.getByRole('link', { name: 'Template (XLSX)' })).toBeVisible();
  await expect(page.getByRole('radio', { name: 'Add: keep the passes that are there' })).toBeChecked();

  await chooseFile(page, 'passes.csv', csv([...good, bad]));
  await checkFile(page);
  const summary = page.getByRole('heading', { level: 2, name: /^3 rows: / });
  await expect(summary).toHaveText('3 rows: 2 new passes (2 new users), 1 error.');
  const rows = page.getByRole('table', { name: 'Rows of the file' });
  const badRow = rows.getByRole('row').filter({ hasText: 'not-an-email' });
  await expect(badRow.getByRole('cell').nth(5)).toHaveText('Error');
  await expect(badRow.getByRole('cell').nth(6)).toContainText('E-mail:');
  // The errors first.
  await expect(rows.getByRole('row').nth(1)).toContainText('not-an-email');
  await expect(rows.getByRole('row').filter({ hasText: `ilse-${suffix}@example.com` }).getByRole('cell').nth(5)).toHaveText(
    'New user, new pass · Whitelist',
  );
  await expect(page.getByText('Nothing can be imported while rows have errors.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Import 2 passes' })).toBeDisabled();

  // b) The rows with errors as a file: the header with an Error column and exactly the bad row.
  const errors = await downloaded(page, () => page.getByRole('button', { name: 'Download rows with errors' }).click());
  expect(errors.download.suggestedFilename()).toMatch(/^passes-errors.*\.csv$/);
  const errorLines = lines(errors.text);
  expect(errorLines, errors.text).toHaveLength(2);
  expect(errorLines[0]).toContain('Error');
  expect(errorLines[0]).toContain('E-mail');
  expect(errorLines[1]).toContain('not-an-email');
  expect(errorLines[1]).toContain(roaming);
  // Corrected and uploaded again, the error file checks clean (its Error column is ignored).
  await chooseFile(page, errors.download.suggestedFilename(), errors.text.replaceAll('not-an-email', janEmail));
  await checkFile(page);
  await expect(page.getByRole('heading', { level: 2, name: /^1 row: / })).toHaveText('1 row: 1 new pass (1 new user).');
  await expect(page.getByRole('button', { name: 'Import 1 pass' })).toBeEnabled();

  // The whole file, corrected: three new passes.
  const fixed = [...good, [bad[0], bad[1], janEmail, ...bad.slice(3)]];
  await chooseFile(page, 'passes-fixed.csv', csv(fixed));
  await checkFile(page);
  await expect(page.getByRole('heading', { level: 2, name: /^3 rows: / })).toHaveText(
    '3 rows: 3 new passes (3 new users).',
  );
  await expect(rows.getByRole('row').filter({ hasText: janEmail }).getByRole('cell').nth(5)).toHaveText(
    'New user, new pass · Roaming',
  );
  await page.getByRole('button', { name: 'Import 3 passes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Imported: ' })).toHaveText(
    'Imported: 3 new passes, 3 new users, 0 already there (skipped), 0 deleted.',
  );
  await expect(page.getByRole('table', { name: 'Rows of the file' })).toHaveCount(0);

  // c) Passes: the three, in their modes.
  await page.getByRole('link', { name: 'Back to Passes' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Passes', exact: true })).toBeVisible();
  await expect(passRow(page, tag).getByRole('cell').nth(3)).toHaveText('Whitelist');
  await expect(passRow(page, tag)).toContainText('Hidden ID');
  await expect(passRow(page, card).getByRole('cell').nth(3)).toHaveText('Whitelist');
  await expect(passRow(page, card)).toContainText('Public Card ID');
  await expect(passRow(page, roaming).getByRole('cell').nth(3)).toHaveText('Roaming');

  // d) "Export CSV": the three passes in the import's columns; imported again in Replace mode, nothing changes.
  const exported = await downloaded(page, () => page.getByRole('link', { name: 'Export CSV', exact: true }).click());
  const exportedLines = lines(exported.text);
  expect(exportedLines, exported.text).toHaveLength(4);
  for (const nickname of [tag, card, roaming]) expect(exported.text).toContain(nickname);

  await page.getByRole('link', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Import passes' })).toBeVisible();
  await page.getByRole('radio', { name: 'Replace: delete the passes that are not in the file' }).check();
  await chooseFile(page, exported.download.suggestedFilename(), exported.text);
  await checkFile(page);
  await expect(page.getByRole('heading', { level: 2, name: /^3 rows: / })).toHaveText(
    '3 rows: 0 new passes (0 new users), 3 already there, 0 passes to delete.',
  );
  await expect(
    page.getByRole('table', { name: 'Rows of the file' }).getByRole('cell', { name: /^Already there \(skipped\) · / }),
  ).toHaveCount(3);
  await expect(page.getByText('Everything in the file is already there.')).toBeVisible();
  await expect(page.getByRole('checkbox', { name: /^Delete \d+ pass/ })).toHaveCount(0);
});

test('a file that cannot be read is refused at the file field, and the XLSX template reads', async ({ page, baseURL }) => {
  const ctx = await apiAs(baseURL!, PARTNER);
  const added = await serverFn(ctx, 'add_organization', { org: await homeOrgId(ctx), name: `Import Refusal ${unique()}` });
  expect(added.ok, JSON.stringify(added.body)).toBe(true);
  const org = added.body as number;
  await ctx.dispose();

  await login(page, PARTNER);
  await open(page, `/orgs/${org}/passes/import`);
  const form = page.getByRole('form', { name: 'Import passes' });
  await chooseFile(page, 'cards.csv', 'Card number,Owner\r\n123,Jan\r\n');
  await form.getByRole('button', { name: 'Check file' }).click();
  const file = form.getByLabel('File', { exact: true });
  await expect(file).toHaveAttribute('aria-invalid', 'true');
  await expect(file.locator('xpath=..').getByRole('alert')).toContainText('is not a column of the import template');
  await expect(page.getByRole('heading', { level: 2 })).toHaveCount(0);

  // The XLSX template, downloaded from the page and uploaded as it is: read, with no rows.
  const template = await downloaded(page, () => page.getByRole('link', { name: 'Template (XLSX)' }).click());
  expect(template.download.suggestedFilename()).toMatch(/\.xlsx$/);
  const bytes = fs.readFileSync(await template.download.path());
  await chooseFile(page, 'template.xlsx', bytes, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  await expect(file).toHaveAttribute('aria-invalid', 'false');
  await checkFile(page);
  await expect(page.getByRole('heading', { level: 2, name: /^0 rows: / })).toHaveText('0 rows: 0 new passes (0 new users).');
  await expect(page.getByText('The file has no passes: add a row per pass below the header row.')).toBeVisible();
});

test('a warning is imported once confirmed, and a replace deletes the passes missing from the file once the number is ticked', async ({
  page,
  baseURL,
}) => {
  const ctx = await apiAs(baseURL!, PARTNER);
  const suffix = unique();
  const customer = `Import Replace ${suffix}`;
  const added = await serverFn(ctx, 'add_organization', { org: await homeOrgId(ctx), name: customer });
  expect(added.ok, JSON.stringify(added.body)).toBe(true);
  const org = added.body as number;
  await ctx.dispose();

  const keep = [
    ['Ilse', 'Vermeer', `ilse-${suffix}@example.com`, '', uniqueHiddenId(), `Tag Ilse ${suffix}`, ''],
    ['Jan', 'Smit', `jan-${suffix}@example.com`, '', uniqueHiddenId(), `Tag Jan ${suffix}`, ''],
  ];
  const odd = `Card Wim ${suffix}`;
  // A Public Card ID whose check character does not match: a warning to confirm, as in "+ Add Pass".
  const warned = ['Wim', 'Werk', `wim-${suffix}@example.com`, 'NL-TNM-B12345-6', '', odd, 'Whitelist'];

  await login(page, PARTNER);
  await open(page, `/orgs/${org}/passes/import`);
  await chooseFile(page, 'passes.csv', csv([...keep, warned]));
  await checkFile(page);
  await expect(page.getByRole('heading', { level: 2, name: /^3 rows: / })).toContainText('1 to confirm');
  const rows = page.getByRole('table', { name: 'Rows of the file' });
  await expect(rows.getByRole('row').nth(1).getByRole('cell').nth(5)).toHaveText('Warning: confirm · Whitelist');
  const importAll = page.getByRole('button', { name: 'Import 3 passes' });
  await expect(importAll).toBeDisabled();
  await page.getByRole('checkbox', { name: 'I checked the 1 warning: import these passes anyway' }).check();
  await expect(importAll).toBeEnabled();
  await importAll.click();
  await expect(page.getByRole('status').filter({ hasText: 'Imported: ' })).toContainText('Imported: 3 new passes, 3 new users');

  // Replace with a file without the card: one pass to delete, only once that number is ticked.
  await page.getByRole('radio', { name: 'Replace: delete the passes that are not in the file' }).check();
  await chooseFile(page, 'passes.csv', csv(keep));
  await checkFile(page);
  await expect(page.getByRole('heading', { level: 2, name: /^2 rows: / })).toHaveText(
    '2 rows: 0 new passes (0 new users), 2 already there, 1 pass to delete.',
  );
  await expect(page.getByText(`Replace deletes 1 pass that is not in the file: 1 in ${customer}.`)).toBeVisible();
  const remove = page.getByRole('button', { name: 'Delete 1 pass' });
  await expect(remove).toBeDisabled();
  await page.getByRole('checkbox', { name: 'Delete 1 pass that is not in the file' }).check();
  await expect(remove).toBeEnabled();
  await remove.click();
  await expect(page.getByRole('status').filter({ hasText: 'Imported: ' })).toHaveText(
    'Imported: 0 new passes, 0 new users, 2 already there (skipped), 1 deleted.',
  );

  await page.getByRole('link', { name: 'Back to Passes' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Passes', exact: true })).toBeVisible();
  await expect(passRow(page, `Tag Ilse ${suffix}`)).toBeVisible();
  await expect(passRow(page, `Tag Jan ${suffix}`)).toBeVisible();
  await expect(passRow(page, odd)).toHaveCount(0);
});

test('a replace whose deletions changed since the check is refused with the new preview', async ({ page, baseURL }) => {
  const ctx = await apiAs(baseURL!, PARTNER);
  const suffix = unique();
  const added = await serverFn(ctx, 'add_organization', { org: await homeOrgId(ctx), name: `Import Changed ${suffix}` });
  expect(added.ok, JSON.stringify(added.body)).toBe(true);
  const org = added.body as number;
  const row = (name: string) => [name, 'Tester', `${name.toLowerCase()}-${suffix}@example.com`, '', uniqueHiddenId(), `Tag ${name} ${suffix}`, ''];
  const keep = [row('Ilse'), row('Jan')];
  // Setup through the route itself (not the subject here): three passes, then a fourth while the page shows its check.
  const importByApi = async (rows: string[][]) => {
    const r = await ctx.post(`/api/passes/import/commit?org=${org}&mode=add&name=setup.csv&confirmed=false&deletions=0`, {
      data: Buffer.from(csv(rows), 'utf8'),
    });
    expect(r.status(), await r.text()).toBe(200);
  };
  await importByApi([...keep, row('Wim')]);

  await login(page, PARTNER);
  await open(page, `/orgs/${org}/passes/import`);
  await page.getByRole('radio', { name: 'Replace: delete the passes that are not in the file' }).check();
  await chooseFile(page, 'passes.csv', csv(keep));
  await checkFile(page);
  await expect(page.getByRole('heading', { level: 2, name: /^2 rows: / })).toContainText('1 pass to delete');
  await page.getByRole('checkbox', { name: 'Delete 1 pass that is not in the file' }).check();

  await importByApi([row('Emma')]);
  await ctx.dispose();
  await page.getByRole('button', { name: 'Delete 1 pass' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Nothing was imported' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: /^2 rows: / })).toContainText('2 passes to delete');
  const tick = page.getByRole('checkbox', { name: 'Delete 2 passes that are not in the file' });
  await expect(tick).not.toBeChecked();
  await expect(page.getByRole('button', { name: 'Delete 2 passes' })).toBeDisabled();
  await expect(page.getByRole('status').filter({ hasText: 'Imported: ' })).toHaveCount(0);
});
