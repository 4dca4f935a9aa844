// The parents' notifier (issue 18): guardians linked by one-time codes, a durable outbox planned from
// the hub's events, Telegram (grammY) and Standard Webhooks channels. See docs/notify.md.
export { Notifier, DEFAULT_NOTIFIER_CONFIG, type NotifierConfig, type NotifierLogger, type NoticeSources } from './notifier.js';
export { DEFAULT_CANTEEN_NOTICE_RULES, canteenFeed, lowCrossings, type CanteenFeed, type CanteenNoticeRules, type ServedMeal, type BalanceEntry } from './canteen-notices.js';
export { DEFAULT_OVERDUE_RULES, reminderNumber, type LibraryFeed, type OverdueRules } from './library-notices.js';
export { GuardianLinks, hashCode, normaliseCode, DEFAULT_LINK_OPTIONS, type LinkOptions, type RedeemResult } from './linking.js';
export { SqliteNotifyStore } from './sqlite-store.js';
export { PgNotifyStore } from './pg-store.js';
export { registerNotifyRoutes, type NotifyRouteOptions } from './routes.js';
export { validateWebhookUrl, webhookOutcome, newWebhookSecret } from './webhook.js';
export { noticeText, localTime, tengeText } from './catalog.js';
export { TelegramPacer, TELEGRAM_PACE_PER_SECOND } from './telegram.js';
export { OutboxDispatcher, DEFAULT_DISPATCHER_OPTIONS, type NoticeChannel, type SendOutcome, type DispatcherOptions } from './dispatcher.js';
export { outboxKey, LANGUAGES } from './model.js';
export type { NotifyStore, GuardianRecord, OutboxRow, OutboxState, NoticePayload, NoticeDetail, Language, Channel } from './model.js';
export { notifierFromEnv, notifierConfigFromEnv, openNotifyStore } from './from-env.js';
export { registerParentPage, DEFAULT_PARENT_PAGE_LIMITS, type ParentPageOptions, type ParentPageLimits } from './parent-page.js';
export type { MealReader } from './parent-data.js';
export { ParentPageLinks, hashPageToken, DEFAULT_PAGE_LINK_OPTIONS, type PageLinkOptions } from './page-links.js';
export { quietUntil, parseQuietText, quietHoursSchema } from './quiet.js';
export type { QuietHours, PageLink, PassageRow } from './model.js';
