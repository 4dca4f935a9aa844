// `npm run test:quick`: the everyday suite. The same tests as `npm test` (which CI runs, all of
// them) minus the ones that run the kiosk, the hub or the CLI as real processes over and over (the
// fault suite: kill -9 trials, crash loops, a damaged database, a full disk, clock jumps, a
// 100,000-event partition; the crash tests; the CLI-as-a-process tests; hub and kiosk processes
// together) and the pages in headless Chromium; the fuzzers run 1,000 cases each instead of 10,000.
// Run `npm test` before a merge. (More workers than cores made it no faster and broke a timing test.)
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/** The long ones, by what they do (see each file's header). */
export const SLOW_TESTS = [
  'tests/fault/**', // kill-burst (100 kill -9), sync-kill and sync-kiosk-kill (50 each), update-kill-switch, corrupt-db, full-disk, clock-jumps, sync-network
  'tests/store/crash.test.ts', // kill -9 of a store writer, several rounds
  'tests/e2e/crash.test.ts', // kill -9 of a real kiosk after a decision, restarts
  'tests/device/cli.test.ts', // the esik CLI as child processes against a running daemon
  'tests/device/cli-read-only.test.ts', // the CLI as another user, after a clean stop and after kill -9
  'tests/hub/multi-process*.test.ts', // several hub processes on one PostgreSQL, a hub and PostgreSQL SIGKILLed
  'tests/ops/demo.test.ts', // `npm start` twice: a hub and a kiosk as real processes
  'tests/ops/release-contents.test.ts', // builds the kiosk and the hub, packs, signs and unpacks a hub release
  'tests/ops/update-*.test.ts', // `esik update` as processes; signed archives unpacked and switched in a temporary root
  'tests/privacy/audit.test.ts', // every technician command as an `esik` process against a real kiosk
  'tests/privacy/key-rotation.test.ts', // `esik key rotate` through a running kiosk, then its restart
  'tests/privacy/scan.test.ts', // a real kiosk enrols, decides and erases; then a byte scan of its folder
  'tests/hub/hub-main.test.ts', // `npm run hub` as child processes on SQLite and PostgreSQL
  'tests/hub/canteen-topup-webhook-main.test.ts', // hub/main.ts as a child process with the webhook's secret file
  'tests/hub/privacy-kiosk.test.ts', // a hub and a kiosk process carry out block and destroy requests
  'tests/hub/notify-restart.test.ts', // a hub process SIGKILLed in the middle of delivering notices
  'tests/hub/ledger-multi-process.test.ts', // two hub processes on one PostgreSQL posting the same transfers
  'tests/device/library/desk-hub-process.test.ts', // two desks and a hub process killed between their syncs
  'tests/hub/notify-burst.test.ts', // a hub process sends 500 notices to the Telegram emulator
  'tests/e2e/till-crash.test.ts', // kill -9 of a till kiosk after a confirmed meal, restart, two syncs
  'tests/e2e/desk-station.test.ts', // kiosks configured as a library desk, restarted; one syncing with a hub
  'tests/e2e/till-station.test.ts', // a till kiosk process taking its data from a hub's snapshot
  'tests/hub/console-enrol.test.ts', // a hub's face engine and a kiosk process: photos enrolled, the face admitted
  'tests/hub/ledger-topup-crash.test.ts', // hub processes SIGKILLed during top-ups, restarted, replayed
  'tests/device/security/gatekeeper.test.ts', // a gatekeeper process SIGKILLed; a silent connection waits out the headers timeout (~30 s)
];

/** The pages in headless Chromium: every page's browser test runs in `npm test`. */
export const BROWSER_TESTS = [
  'tests/hub/console-browser.test.ts',
  'tests/hub/console-import-browser.test.ts',
  'tests/hub/console-audit.test.ts',
  'tests/hub/console-privacy-browser.test.ts',
  'tests/hub/console-insight-browser.test.ts',
  'tests/hub/console-canteen-browser.test.ts',
  'tests/hub/notify-parent-page.test.ts',
  'tests/display/board-page.test.ts',
  'tests/device/library/desk-page.test.ts',
  'tests/device/canteen/till-page.test.ts',
];

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...configDefaults.exclude, ...SLOW_TESTS, ...BROWSER_TESTS],
      env: { ESIK_FUZZ_RUNS: process.env.ESIK_FUZZ_RUNS ?? '1000' },
    },
  }),
);
