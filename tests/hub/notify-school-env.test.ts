// The canteen's and library's notice settings from the hub's environment: the defaults (meals on,
// low balance below 100 000 tiyn, overdue checked from 09:00, weekly, 4 notices), each turned off,
// and a malformed value refusing the start rather than being ignored.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CANTEEN_NOTICE_RULES, DEFAULT_OVERDUE_RULES, notifierConfigFromEnv } from '../../hub/notify/index.js';

const base = { ESIK_HUB_NOTIFY: '1' };

describe('canteen and library notice settings from the environment', () => {
  it('keeps the defaults when nothing is set', async () => {
    const config = await notifierConfigFromEnv(base);
    expect({ ...DEFAULT_CANTEEN_NOTICE_RULES, ...config?.canteen }).toEqual({ mealServed: true, lowBalanceTiyn: 100_000 });
    expect({ ...DEFAULT_OVERDUE_RULES, ...config?.overdue }).toEqual({ checkAt: '09:00', repeatDays: 7, maxNotices: 4, intervalMs: 900_000 });
  });

  it('turns each off or changes it', async () => {
    const config = await notifierConfigFromEnv({
      ...base, ESIK_HUB_NOTIFY_MEALS: '0', ESIK_HUB_LOW_BALANCE_TIYN: 'off', ESIK_HUB_OVERDUE_AT: 'off', ESIK_HUB_OVERDUE_REPEAT_DAYS: '0', ESIK_HUB_OVERDUE_MAX: '2',
    });
    expect(config?.canteen).toEqual({ mealServed: false, lowBalanceTiyn: null });
    expect(config?.overdue).toEqual({ checkAt: null, repeatDays: null, maxNotices: 2 });
    expect((await notifierConfigFromEnv({ ...base, ESIK_HUB_LOW_BALANCE_TIYN: '50000', ESIK_HUB_OVERDUE_AT: '15:30' }))?.canteen?.lowBalanceTiyn).toBe(50_000);
  });

  it('refuses a malformed value', async () => {
    await expect(notifierConfigFromEnv({ ...base, ESIK_HUB_LOW_BALANCE_TIYN: '1000.5' })).rejects.toThrow(/ESIK_HUB_LOW_BALANCE_TIYN/);
    await expect(notifierConfigFromEnv({ ...base, ESIK_HUB_LOW_BALANCE_TIYN: '-1' })).rejects.toThrow(/ESIK_HUB_LOW_BALANCE_TIYN/);
    await expect(notifierConfigFromEnv({ ...base, ESIK_HUB_OVERDUE_AT: '25:00' })).rejects.toThrow(/invalid time/);
    await expect(notifierConfigFromEnv({ ...base, ESIK_HUB_OVERDUE_REPEAT_DAYS: 'weekly' })).rejects.toThrow(/ESIK_HUB_OVERDUE_REPEAT_DAYS/);
    await expect(notifierConfigFromEnv({ ...base, ESIK_HUB_OVERDUE_MAX: '0' })).rejects.toThrow(/ESIK_HUB_OVERDUE_MAX/);
  });
});
