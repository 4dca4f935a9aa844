// The parents' page's words in Kazakh, Russian and English (the guardian's chosen language; English
// when none is known, e.g. on a refused link).
import type { Language } from './model.js';

export type Purpose = 'identification' | 'board' | 'notices';
export const PURPOSES: readonly Purpose[] = ['identification', 'board', 'notices'];

export interface PageWords {
  title: string;
  today: string;
  time: string;
  door: string;
  direction: string;
  in: string;
  out: string;
  noPassages: string;
  consents: string;
  purpose: Record<Purpose, string>;
  given: string;
  withdrawn: string;
  withdraw: string;
  data: string;
  requestData: string;
  requested(deadline: string): string;
  withdrawDone: string;
  meals: string;
  loans: string;
  notYet: string;
  noLoans: string;
  noMeals: string;
  free: string;
  paid(tenge: string): string;
  due(date: string): string;
  quiet: string;
  quietHelp: string;
  quietFrom: string;
  quietTo: string;
  save: string;
  off: string;
  quietSaved: string;
  quietNone: string;
  expired: string;
  invalid: string;
  refused: string;
  tooMany: string;
}

const WORDS: Record<Language, PageWords> = {
  kk: {
    title: 'Ата-ана беті', today: 'Бүгін', time: 'Уақыт', door: 'Есік', direction: 'Бағыт', in: 'Кіру', out: 'Шығу',
    noPassages: 'Бүгін өту болған жоқ.', consents: 'Келісімдер',
    purpose: { identification: 'Бет немесе алақан бойынша тану', board: 'Фойедегі экранда көрсету', notices: 'Ата-анаға хабарламалар' },
    given: 'Берілген', withdrawn: 'Кері қайтарылған', withdraw: 'Кері қайтару', data: 'Деректер', requestData: 'Бала туралы деректерді сұрау',
    requested: (deadline) => `Сұрау тіркелді. Мектеп ${deadline} дейін жауап береді.`, withdrawDone: 'Келісім кері қайтарылды.',
    meals: 'Тамақ', loans: 'Кітапхана', notYet: 'Әзірге қолжетімсіз.', noLoans: 'Қолында кітап жоқ.', noMeals: 'Бүгін тамақ болған жоқ.', free: 'тегін', paid: (tenge) => `${tenge} ₸`, due: (date) => `${date} дейін қайтару`,
    quiet: 'Тыныш сағаттар', quietHelp: 'Бұл уақытта хабарламалар жіберілмейді: олар кейін келеді.', quietFrom: 'Басы', quietTo: 'Соңы',
    save: 'Сақтау', off: 'Өшіру', quietSaved: 'Тыныш сағаттар сақталды.', quietNone: 'Орнатылмаған.',
    expired: 'Сілтеменің мерзімі өтті. Жаңасын алу үшін ботқа /page жіберіңіз.', invalid: 'Сілтеме жарамсыз.',
    refused: 'Сұрау қабылданбады. Бетті қайта ашыңыз.', tooMany: 'Сұраулар тым көп. Біраз күтіңіз.',
  },
  ru: {
    title: 'Страница родителей', today: 'Сегодня', time: 'Время', door: 'Дверь', direction: 'Направление', in: 'Вход', out: 'Выход',
    noPassages: 'Сегодня проходов не было.', consents: 'Согласия',
    purpose: { identification: 'Распознавание по лицу или ладони', board: 'Показ на экране в фойе', notices: 'Уведомления родителям' },
    given: 'Дано', withdrawn: 'Отозвано', withdraw: 'Отозвать', data: 'Данные', requestData: 'Запросить данные ребёнка',
    requested: (deadline) => `Запрос зарегистрирован. Школа ответит до ${deadline}.`, withdrawDone: 'Согласие отозвано.',
    meals: 'Питание', loans: 'Библиотека', notYet: 'Пока недоступно.', noLoans: 'Книг на руках нет.', noMeals: 'Сегодня питания не было.', free: 'бесплатно', paid: (tenge) => `${tenge} ₸`, due: (date) => `вернуть до ${date}`,
    quiet: 'Тихие часы', quietHelp: 'В эти часы уведомления не приходят: они придут после.', quietFrom: 'С', quietTo: 'До',
    save: 'Сохранить', off: 'Выключить', quietSaved: 'Тихие часы сохранены.', quietNone: 'Не заданы.',
    expired: 'Срок ссылки истёк. Отправьте боту /page, чтобы получить новую.', invalid: 'Ссылка недействительна.',
    refused: 'Запрос отклонён. Откройте страницу заново.', tooMany: 'Слишком много запросов. Подождите немного.',
  },
  en: {
    title: "Parents' page", today: 'Today', time: 'Time', door: 'Door', direction: 'Direction', in: 'In', out: 'Out',
    noPassages: 'No passages today.', consents: 'Consents',
    purpose: { identification: 'Recognition by face or palm', board: 'Shown on the lobby screen', notices: 'Notices to parents' },
    given: 'Given', withdrawn: 'Withdrawn', withdraw: 'Withdraw', data: 'Data', requestData: "Request the child's data",
    requested: (deadline) => `Request registered. The school answers by ${deadline}.`, withdrawDone: 'Consent withdrawn.',
    meals: 'Meals', loans: 'Library', notYet: 'Not available yet.', noLoans: 'No books on loan.', noMeals: 'No meals today.', free: 'free', paid: (tenge) => `${tenge} ₸`, due: (date) => `due ${date}`,
    quiet: 'Quiet hours', quietHelp: 'No notices in these hours: they come when the hours end.', quietFrom: 'From', quietTo: 'To',
    save: 'Save', off: 'Turn off', quietSaved: 'Quiet hours saved.', quietNone: 'Not set.',
    expired: 'This link has expired. Send /page to the bot for a new one.', invalid: 'This link is not valid.',
    refused: 'Request refused. Open the page again.', tooMany: 'Too many requests. Wait a little.',
  },
};

export function pageWords(language: Language): PageWords {
  return WORDS[language];
}

/** The first of kk, ru, en that an Accept-Language header names; English otherwise. */
export function languageOf(acceptLanguage: string | undefined): Language {
  const header = (acceptLanguage ?? '').toLowerCase();
  const kk = header.indexOf('kk');
  const ru = header.indexOf('ru');
  if (kk >= 0 && (ru < 0 || kk < ru)) return 'kk';
  return ru >= 0 ? 'ru' : 'en';
}
