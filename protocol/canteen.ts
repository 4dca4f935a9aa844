// What a canteen till's events carry (issue 19): a served meal, as an ordinary `canteen.meal` event
// in the kiosk's log, pushed exactly once by (deviceId, seq) like every other event. The diner is
// the event's personId; `data` is this schema. The transfer ids are fixed by the till before the
// event is written (from its device id and the meal id), so the hub applying the same event twice,
// or two hub processes applying it at once, posts each transfer once (hub/canteen/meal-fold.ts).
import { z } from 'zod';
import { wireId } from './wire.js';

export const CANTEEN_MEAL_EVENT = 'canteen.meal';

const tiyn = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const canteenMealDataSchema = z.object({
  /** Made by the till (UUIDv7) before the meal is written. */
  mealId: z.uuid(),
  periodId: wireId,
  /** School-local date the meal was served on. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** A free meal was served (the register's or staff's entitlement was used). */
  free: z.boolean(),
  freeCategory: z.string().max(64).nullable(),
  /** Paid from the diner's balance. */
  chargeTiyn: tiyn,
  /** Paid by the subsidy (state budget) account. */
  subsidyTiyn: tiyn,
  /** The person → revenue transfer (when chargeTiyn > 0) and the subsidy → revenue one (when subsidyTiyn > 0). */
  chargeTransferId: z.string().min(1).max(128),
  subsidyTransferId: z.string().min(1).max(128),
  /** The till worked from a stale balance: the hub lets this charge use the offline allowance. */
  offline: z.boolean(),
  items: z.array(z.object({ itemId: wireId, quantity: z.number().int().min(1).max(100) })).max(20),
});
export type CanteenMealData = z.infer<typeof canteenMealDataSchema>;

/** The transfer ids of a till's meal: deterministic, so every replay of the event names the same transfers. */
export function mealTransferIds(deviceId: string, mealId: string): { charge: string; subsidy: string } {
  return { charge: `meal:${deviceId}:${mealId}:charge`, subsidy: `meal:${deviceId}:${mealId}:subsidy` };
}
