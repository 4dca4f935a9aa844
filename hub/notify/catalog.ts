// What the bot says, in the guardian's language. A notice carries a first name, a time and a door,
// nothing else; replies to a chat that is not linked name no child.
import type { Language, NoticeDetail, NoticePayload } from './model.js';

interface Catalog {
  arrival(name: string, time: string, door: string | null): string;
  departure(name: string, time: string, door: string | null): string;
  late(name: string, time: string, door: string | null): string;
  absent(name: string, time: string): string;
  /** charge: null for a free meal; balance: null when the child has no canteen account. */
  meal(name: string, time: string, period: string, charge: string | null, balance: string | null): string;
  lowBalance(name: string, balance: string, threshold: string): string;
  overdue(name: string, title: string | null, due: string): string;
  linked(name: string): string;
  badCode: string;
  tooManyTries(minutes: number): string;
  help: string;
  stopped: string;
  notLinked: string;
  page(url: string, hours: number): string;
  noPage: string;
  quietSet(start: string, end: string): string;
  quietOff: string;
  quietHelp: string;
}

const doorSuffix = (door: string | null, word: string): string => (door ? ` (${word}: ${door})` : '');

const kkBalance = (balance: string | null): string => (balance === null ? '' : ` Қалдық: ${balance}.`);
const ruBalance = (balance: string | null): string => (balance === null ? '' : ` Остаток: ${balance}.`);
const enBalance = (balance: string | null): string => (balance === null ? '' : ` Balance: ${balance}.`);

const CATALOGS: Record<Language, Catalog> = {
  kk: {
    arrival: (name, time, door) => `${name} мектепке ${time} келді${doorSuffix(door, 'есік')}.`,
    departure: (name, time, door) => `${name} мектептен ${time} шықты${doorSuffix(door, 'есік')}.`,
    late: (name, time, door) => `${name} мектепке ${time} кешігіп келді${doorSuffix(door, 'есік')}.`,
    absent: (name, time) => `${name} сағат ${time} дейін мектепке келген жоқ.`,
    meal: (name, time, period, charge, balance) => `${name} ${time} тамақтанды (${period}): ${charge ?? 'тегін'}.${kkBalance(balance)}`,
    lowBalance: (name, balance, threshold) => `${name}: асхана балансы ${balance}, ${threshold} шегінен төмен. Шотты толтырыңыз.`,
    overdue: (name, title, due) => `${name} кітапханаға ${title ? `«${title}» кітабын` : 'кітапты'} ${due} дейін қайтаруы керек еді.`,
    linked: (name) => `Дайын: ${name} туралы хабарламалар осы чатқа келеді. Тоқтату үшін /stop.`,
    badCode: 'Код жарамсыз немесе мерзімі өткен. Мектептен жаңа код сұраңыз.',
    tooManyTries: (minutes) => `Әрекеттер тым көп. ${minutes} минуттан кейін қайталаңыз.`,
    help: 'Мектеп берген кодты жіберіңіз: /start КОД',
    stopped: 'Хабарламалар тоқтатылды.',
    notLinked: 'Бұл чат ешбір оқушыға байланыстырылмаған.',
    page: (url, hours) => `Ата-ана беті (${hours} сағат жарамды): ${url}`,
    noPage: 'Ата-ана беті бұл мектепте қосылмаған.',
    quietSet: (start, end) => `Тыныш сағаттар: ${start}–${end}. Бұл уақыттағы хабарламалар кейін келеді.`,
    quietOff: 'Тыныш сағаттар өшірілді.',
    quietHelp: 'Мысалы: /quiet 22:00 07:00 немесе /quiet off',
  },
  ru: {
    arrival: (name, time, door) => `${name} пришёл(-ла) в школу в ${time}${doorSuffix(door, 'дверь')}.`,
    departure: (name, time, door) => `${name} ушёл(-ла) из школы в ${time}${doorSuffix(door, 'дверь')}.`,
    late: (name, time, door) => `${name} опоздал(-а): пришёл(-ла) в школу в ${time}${doorSuffix(door, 'дверь')}.`,
    absent: (name, time) => `${name} не пришёл(-ла) в школу к ${time}.`,
    meal: (name, time, period, charge, balance) => `${name} поел(-а) в ${time} (${period}): ${charge ?? 'бесплатно'}.${ruBalance(balance)}`,
    lowBalance: (name, balance, threshold) => `${name}: баланс питания ${balance}, ниже ${threshold}. Пополните счёт.`,
    overdue: (name, title, due) => `${name}: ${title ? `книгу «${title}»` : 'книгу'} нужно было вернуть в библиотеку до ${due}.`,
    linked: (name) => `Готово: уведомления о ${name} будут приходить в этот чат. Отключить: /stop.`,
    badCode: 'Код недействителен или истёк. Попросите в школе новый код.',
    tooManyTries: (minutes) => `Слишком много попыток. Повторите через ${minutes} мин.`,
    help: 'Отправьте код, выданный школой: /start КОД',
    stopped: 'Уведомления отключены.',
    notLinked: 'Этот чат не привязан ни к одному ученику.',
    page: (url, hours) => `Страница родителей (действует ${hours} ч): ${url}`,
    noPage: 'Страница родителей в этой школе не включена.',
    quietSet: (start, end) => `Тихие часы: ${start}–${end}. Уведомления за это время придут после.`,
    quietOff: 'Тихие часы выключены.',
    quietHelp: 'Например: /quiet 22:00 07:00 или /quiet off',
  },
  en: {
    arrival: (name, time, door) => `${name} arrived at school at ${time}${doorSuffix(door, 'door')}.`,
    departure: (name, time, door) => `${name} left school at ${time}${doorSuffix(door, 'door')}.`,
    late: (name, time, door) => `${name} arrived late at school at ${time}${doorSuffix(door, 'door')}.`,
    absent: (name, time) => `${name} has not arrived at school by ${time}.`,
    meal: (name, time, period, charge, balance) => `${name} had a meal at ${time} (${period}): ${charge ?? 'free'}.${enBalance(balance)}`,
    lowBalance: (name, balance, threshold) => `${name}: the canteen balance is ${balance}, below ${threshold}. Please top it up.`,
    overdue: (name, title, due) => `${name}: ${title ? `the library book "${title}"` : 'a library book'} was due back by ${due}.`,
    linked: (name) => `Done: notices about ${name} will come to this chat. To stop them: /stop.`,
    badCode: 'This code is not valid or has expired. Ask the school for a new one.',
    tooManyTries: (minutes) => `Too many attempts. Try again in ${minutes} min.`,
    help: 'Send the code the school gave you: /start CODE',
    stopped: 'Notices stopped.',
    notLinked: 'This chat is not linked to any pupil.',
    page: (url, hours) => `Your parents' page (valid for ${hours} h): ${url}`,
    noPage: "This school has not turned the parents' page on.",
    quietSet: (start, end) => `Quiet hours: ${start}–${end}. Notices due then come when they end.`,
    quietOff: 'Quiet hours turned off.',
    quietHelp: 'For example: /quiet 22:00 07:00 or /quiet off',
  },
};

export function catalog(language: Language): Catalog {
  return CATALOGS[language];
}

/** HH:MM in the school's time zone. */
export function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

/** Integer tiyn as tenge, without float arithmetic: 95000 -> "950 ₸", 95050 -> "950.50 ₸", -2000 -> "-20 ₸". */
export function tengeText(tiyn: number): string {
  const abs = Math.abs(tiyn);
  const cents = abs % 100;
  return `${tiyn < 0 ? '-' : ''}${Math.trunc(abs / 100)}${cents === 0 ? '' : `.${String(cents).padStart(2, '0')}`} ₸`;
}

/** A school-local date as the guardian reads it: 2026-11-03 -> 03.11.2026 (kk, ru), 2026-11-03 (en). */
function dateText(day: string, language: Language): string {
  const [year, month, date] = day.split('-');
  return language === 'en' || !year || !month || !date ? day : `${date}.${month}.${year}`;
}

function detailText(name: string, time: string, detail: NoticeDetail, language: Language): string {
  const words = catalog(language);
  switch (detail.kind) {
    case 'meal':
      return words.meal(name, time, detail.period, detail.free ? null : tengeText(detail.chargeTiyn), detail.balanceTiyn === null ? null : tengeText(detail.balanceTiyn));
    case 'low_balance':
      return words.lowBalance(name, tengeText(detail.balanceTiyn), tengeText(detail.thresholdTiyn));
    case 'overdue':
      return words.overdue(name, detail.title, dateText(detail.dueDate, language));
  }
}

export function noticeText(payload: NoticePayload, language: Language, timeZone: string): string {
  const words = catalog(language);
  const time = localTime(payload.at, timeZone);
  // A canteen or library row written without its detail (it never is) still names only the child.
  if (payload.kind === 'meal' || payload.kind === 'low_balance' || payload.kind === 'overdue') {
    return payload.detail ? detailText(payload.firstName, time, payload.detail, language) : payload.firstName;
  }
  switch (payload.kind) {
    case 'arrival':
      return words.arrival(payload.firstName, time, payload.door);
    case 'departure':
      return words.departure(payload.firstName, time, payload.door);
    case 'late':
      return words.late(payload.firstName, time, payload.door);
    case 'absent':
      return words.absent(payload.firstName, time);
  }
}
