// The project's own lint rules (eslint-rules/index.js) on code placed in real project files: a
// folder with an index.ts is entered only through it; a program's entry folder (device/cli) is not a
// module face; tests' imports are not checked (eslint.config.js scopes the rules to sources).
import { resolve } from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
import esik from '../../eslint-rules/index.js';

const root = resolve(import.meta.dirname, '..', '..');
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' } });

describe('esik/public-face', () => {
  tester.run('public-face', esik.rules['public-face'], {
    valid: [
      { filename: resolve(root, 'device/main.ts'), code: "import { audit } from './admin/index.js';" },
      { filename: resolve(root, 'device/admin/routes.ts'), code: "import { audit } from './audit.js';" },
      { filename: resolve(root, 'device/update/cli-support.ts'), code: "import { withWritableOfflineStore } from '../cli/offline-store.js';" },
      { filename: resolve(root, 'device/main.ts'), code: "import { z } from 'zod';" },
    ],
    invalid: [
      { filename: resolve(root, 'device/main.ts'), code: "import { audit } from './admin/audit.js';", errors: [{ messageId: 'internal' }] },
      { filename: resolve(root, 'hub/server.ts'), code: "export { SAFE_ID } from '../protocol/wire.js';", errors: [{ messageId: 'internal' }] },
      { filename: resolve(root, 'device/kiosk/kiosk.ts'), code: "import type { Direction } from '../../sync/store/types.js';", errors: [{ messageId: 'internal' }] },
    ],
  });
});

describe('esik/no-cycle', () => {
  tester.run('no-cycle', esik.rules['no-cycle'], {
    valid: [
      { filename: resolve(root, 'device/admin/routes.ts'), code: "import { audit } from './audit.js';" },
      { filename: resolve(root, 'device/admin/audit.ts'), code: "import type { KioskServices } from '../services.js';" },
    ],
    invalid: [],
  });
});
