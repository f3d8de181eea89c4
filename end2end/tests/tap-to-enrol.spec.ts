import { expect, test } from '@playwright/test';
import {
  authorizeStatuses,
  expectSimOk,
  goToCustomer,
  login,
  menu,
  PARTNER,
  simulate,
  unique,
  uniqueHiddenId,
} from './helpers';

// Tap-to-enrol: "+ Add Pass" → "Scan at a station" waits live for the next card at a station and fills in its
// Hidden ID — the help article's Logs detour in one step.
test('"Scan at a station" fills the Hidden ID from the card held against the reader; the next tap is accepted', async ({
  page,
}) => {
  const uid = uniqueHiddenId();
  const nickname = `Scanned tag ${unique()}`;
  await login(page, PARTNER);
  await goToCustomer(page, 'Brouwerij De Kroon');
  await menu(page, 'Passes');
  await page.getByRole('button', { name: '+ Add Pass' }).click();
  const form = page.getByRole('form', { name: 'Add pass' });
  await form.getByRole('button', { name: 'Scan at a station' }).click();
  await form.getByLabel('Station to scan at').selectOption({ label: 'Brewery yard (CP-KROON-1)' });
  // Shown once the stream is open, i.e. once the server listens for this station's taps.
  await expect(form.getByText(/Waiting for a card at Brewery yard \(CP-KROON-1\)/)).toBeVisible();

  const tap = await simulate(['--id', 'CP-KROON-1', '--tap', uid]);
  expectSimOk(tap);
  expect(authorizeStatuses(tap)).toEqual(['Invalid']);

  await expect(form.getByLabel('Hidden ID')).toHaveValue(uid);
  await expect(form.getByText(`Card ${uid} was read at Brewery yard (CP-KROON-1)`)).toBeVisible();
  await expect(form.getByText(/Waiting for a card/)).toHaveCount(0);

  await form.getByLabel('User').selectOption({ index: 1 });
  await form.getByLabel('Nickname').fill(nickname);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText(/The pass was added as Whitelist/)).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: nickname })).toContainText(uid);

  const again = await simulate(['--id', 'CP-KROON-1', '--tap', uid]);
  expectSimOk(again);
  expect(authorizeStatuses(again)).toEqual(['Accepted']);
});
