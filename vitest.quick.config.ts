// `npm run test:quick`: the everyday suite. The same tests as `npm test` (which CI runs, all of
// them) minus the long kill -9 trials and the long fault runs: dozens to a hundred SIGKILLs of real
// kiosk and hub processes, crash loops and a 100,000-event partition. Run `npm test` before a merge.
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/** The long ones, by what they do (see each file's header). */
export const SLOW_TESTS = [
  'tests/fault/*kill*.test.ts', // kill -9 trials: kill-burst (100), sync-kill (50), sync-kiosk-kill (50), update-kill-switch, remote-command-kill
  'tests/store/crash.test.ts', // kill -9 of a store writer, several rounds
  'tests/e2e/crash.test.ts', // kill -9 of a real kiosk after a decision, restarts
  'tests/fault/sync-network.test.ts', // network faults and a partition while 100,000 events accumulate
];

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...configDefaults.exclude, ...SLOW_TESTS],
    },
  }),
);
