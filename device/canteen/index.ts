// The canteen till's rule: what a presented person may have from the tray now, and who pays.
export { mealDecision } from './meal-rule.js';
export {
  MEAL_PERIOD_KINDS,
  MEAL_REFUSALS,
  type CanteenContext,
  type Diner,
  type FreeMealEntitlement,
  type GuardianSettings,
  type KnownBalance,
  type MealDecision,
  type MealPeriod,
  type MealPeriodKind,
  type MealRefusal,
  type MealRequest,
  type MenuItem,
  type OrderLine,
  type ServedMeal,
} from './types.js';
