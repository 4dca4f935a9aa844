// What the console's canteen pages use of this folder's code, handed to the console as one object by
// the hub (hub/server.ts): the console imports only this folder's types, because this folder's
// register import already reaches the console's people (ИИНs), and a run-time import back would
// make a cycle.
import { personAccount } from './meal-fold.js';
import { freeMealCsv, freeMealReport, freeMealXlsx, tenge } from './reports.js';
import { importRegister, MAX_REGISTER_BYTES } from './settings-routes.js';

export const CANTEEN_CONSOLE_KIT = { personAccount, freeMealReport, freeMealCsv, freeMealXlsx, tenge, importRegister, maxRegisterBytes: MAX_REGISTER_BYTES } as const;
export type CanteenConsoleKit = typeof CANTEEN_CONSOLE_KIT;
