import { defineConfig } from '@playwright/test';
import path from 'node:path';

// End-to-end tests against the real server binary (built by `cargo leptos build --release`, see
// scripts/test.sh) with a fresh SQLite database and the demo data, in Debian's Chromium.
const root = path.resolve(__dirname, '..');
const port = Number(process.env.CHARGEDESK_E2E_PORT ?? 3100);
const dataDir = path.join(root, 'target', `e2e-data-${port}`);
// The test SMTP server (aiosmtpd, from the pinned venv scripts/setup.sh installs): every mail the server sends
// lands as one JSON file in mailDir, which the specs read (helpers.ts: waitForMail, same directory).
const smtpPort = Number(process.env.CHARGEDESK_E2E_SMTP_PORT ?? port + 25);
const mailDir = path.join(root, 'target', `e2e-mail-${port}`);
const python =
  process.env.CHARGEDESK_TEST_PYTHON ?? path.join(process.env.HOME ?? '', '.cache/chargedesk/venv/bin/python');
const server =
  process.env.CHARGEDESK_SERVER_BIN ??
  path.join(process.env.HOME ?? '', '.cache/chargedesk/target-leptos/release/server');

export default defineConfig({
  testDir: './tests',
  // Traces of failed tests go to end2end/test-results (git-ignored), whatever directory the run starts in.
  outputDir: path.join(__dirname, 'test-results'),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: `rm -rf "${mailDir}" && "${python}" "${path.join(root, 'end2end', 'mail', 'smtp_sink.py')}" --host 127.0.0.1 --port ${smtpPort} --dir "${mailDir}"`,
      port: smtpPort,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      command: `rm -rf "${dataDir}" && "${server}" --data-dir "${dataDir}" serve --demo`,
      url: `http://127.0.0.1:${port}/login`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        LEPTOS_SITE_ROOT: path.join(root, 'target', 'site'),
        LEPTOS_OUTPUT_NAME: 'chargedesk',
        LEPTOS_SITE_PKG_DIR: 'pkg',
        LEPTOS_ENV: 'PROD',
        RUST_LOG: 'warn',
        // The specs refuse stations on purpose (wrong or missing passwords) more often than a real address would
        // in a minute; the limit itself is tested in server/tests/station_abuse.rs.
        CHARGEDESK_OCPP_HANDSHAKE_FAILURES_PER_MIN: '1000',
        // Mail goes to the test SMTP server above (plain SMTP on loopback, no credentials).
        CHARGEDESK_SMTP_HOST: '127.0.0.1',
        CHARGEDESK_SMTP_PORT: String(smtpPort),
        CHARGEDESK_SMTP_TLS: 'none',
        CHARGEDESK_MAIL_FROM: 'ChargeDesk <noreply@chargedesk.test>',
      },
    },
  ],
});
