// What the kiosk's small screen (HD44780 LCD) says after a decision, in the configured language.
// Texts are short on purpose: a 16x2 LCD shows 16 characters a line. A name appears only as far
// as the person's display consent allows (others queue behind them and can read it).
import type { Person } from '../sync/store/index.js';
import type { DecisionOutcome, DenyReason, Direction } from './vocabulary.js';

export type GreetingLanguage = 'kk' | 'ru' | 'en';

export interface GreetingDecision {
  outcome: DecisionOutcome;
  reason: DenyReason | null;
  direction: Direction;
  person: Pick<Person, 'name' | 'displayConsent'> | null;
}

interface Phrases {
  welcome: string;
  goodbye: string;
  denied: string;
  reasons: Record<DenyReason, string>;
}

const PHRASES: Record<GreetingLanguage, Phrases> = {
  kk: {
    welcome: 'Қош келдіңіз',
    goodbye: 'Сау болыңыз',
    denied: 'Кіруге болмайды',
    reasons: {
      unknown: 'Танылмады', blocked: 'Бұғатталған', inactive: 'Белсенді емес', not_yet_valid: 'Әлі жарамсыз',
      expired: 'Мерзімі өтті', credential_not_yet_valid: 'Карта әлі жарамсыз', credential_expired: 'Карта мерзімі өтті',
      credential_used: 'QR қолданылған', no_biometric_consent: 'Келісім жоқ', no_access_to_door: 'Рұқсат жоқ',
      outside_schedule: 'Кесте бойынша емес', holiday: 'Мереке күні', anti_passback: 'Қайта өту', lockdown: 'Жабық режим',
      maintenance: 'Қызмет көрсету', clock_untrusted: 'Уақыт белгісіз', bad_capture: 'Қайталаңыз', spoof_suspected: 'Тексеру қажет',
      store_unavailable: 'Жүйе қатесі', credential_not_accepted: 'Бұл жерде қабылданбайды', second_factor_missing: 'Екінші белгі жоқ',
      second_factor_mismatch: 'Сәйкес келмейді', second_factor_timeout: 'Уақыт бітті',
    },
  },
  ru: {
    welcome: 'Добро пожаловать',
    goodbye: 'До свидания',
    denied: 'Проход запрещён',
    reasons: {
      unknown: 'Не распознан', blocked: 'Заблокирован', inactive: 'Не активен', not_yet_valid: 'Ещё не действует',
      expired: 'Срок истёк', credential_not_yet_valid: 'Карта не активна', credential_expired: 'Срок карты истёк',
      credential_used: 'QR использован', no_biometric_consent: 'Нет согласия', no_access_to_door: 'Нет доступа',
      outside_schedule: 'Вне расписания', holiday: 'Праздник', anti_passback: 'Повторный проход', lockdown: 'Режим закрытия',
      maintenance: 'Обслуживание', clock_untrusted: 'Время не задано', bad_capture: 'Повторите', spoof_suspected: 'Нужна проверка',
      store_unavailable: 'Ошибка системы', credential_not_accepted: 'Здесь не принимается', second_factor_missing: 'Нет второго фактора',
      second_factor_mismatch: 'Не совпадает', second_factor_timeout: 'Время истекло',
    },
  },
  en: {
    welcome: 'Welcome',
    goodbye: 'Goodbye',
    denied: 'Access denied',
    reasons: {
      unknown: 'Not recognised', blocked: 'Blocked', inactive: 'Not active', not_yet_valid: 'Not yet valid',
      expired: 'Expired', credential_not_yet_valid: 'Card not valid yet', credential_expired: 'Card expired',
      credential_used: 'QR already used', no_biometric_consent: 'No consent', no_access_to_door: 'No access here',
      outside_schedule: 'Outside schedule', holiday: 'Holiday', anti_passback: 'Already passed', lockdown: 'Lockdown',
      maintenance: 'Maintenance', clock_untrusted: 'Clock not set', bad_capture: 'Please try again', spoof_suspected: 'Needs a check',
      store_unavailable: 'System error', credential_not_accepted: 'Not accepted here', second_factor_missing: 'Second step missing',
      second_factor_mismatch: 'Does not match', second_factor_timeout: 'Too slow, start again',
    },
  },
};

/** The name to greet with: the first name with short/full consent, initials with initials, none otherwise. */
export function greetingName(person: Pick<Person, 'name' | 'displayConsent'> | null): string {
  if (person === null) return '';
  const words = person.name.trim().split(/\s+/).filter((w) => w.length > 0);
  switch (person.displayConsent) {
    case 'none':
      return '';
    case 'initials':
      return words.map((w) => `${Array.from(w)[0] ?? ''}.`).join(' ');
    case 'short':
    case 'full':
      return words[0] ?? '';
  }
}

/** Two lines for the kiosk LCD: ["Қош келдіңіз,", "Айгерім"] or ["Кіруге болмайды", "Бұғатталған"]. */
export function greetingLines(decision: GreetingDecision, language: GreetingLanguage): string[] {
  const phrases = PHRASES[language];
  if (decision.outcome === 'deny') return [phrases.denied, phrases.reasons[decision.reason ?? 'unknown']];
  const salutation = decision.direction === 'in' ? phrases.welcome : phrases.goodbye;
  const name = greetingName(decision.person);
  return name === '' ? [`${salutation}!`] : [`${salutation},`, name];
}

/** One line for logs and simulated displays: "Қош келдіңіз, Айгерім". */
export function greetingText(decision: GreetingDecision, language: GreetingLanguage): string {
  return greetingLines(decision, language).join(' ');
}
