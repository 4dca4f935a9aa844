// Labels of the lobby board in the three languages a Kazakh school uses. The page gets the labels of
// the configured language once, on connect, so the browser needs no translation logic of its own.

export type BoardLanguage = 'kk' | 'ru' | 'en';
export const BOARD_LANGUAGES: readonly BoardLanguage[] = ['kk', 'ru', 'en'];

export interface BoardLabels {
  title: string;
  recent: string;
  classes: string;
  group: string;
  present: string;
  expected: string;
  late: string;
  lateMark: string;
  in: string;
  out: string;
  offline: string;
  noArrivals: string;
  student: string;
  staff: string;
  visitor: string;
  guardian: string;
  /** Month names as used in a date ("23 қараша"), January first; Chromium builds may lack kk locale data. */
  months: string[];
  /** Monday first. */
  weekdays: string[];
  /** "{d} {month} {y}, {weekday}" with these placeholders. */
  dateFormat: string;
}

const LABELS: Record<BoardLanguage, BoardLabels> = {
  kk: {
    title: 'Мектепке келгендер',
    recent: 'Соңғы келгендер',
    classes: 'Сыныптар',
    group: 'Сынып',
    present: 'Келді',
    expected: 'Барлығы',
    late: 'Кешікті',
    lateMark: 'кешікті',
    in: 'Кірді',
    out: 'Шықты',
    offline: 'Байланыс жоқ',
    noArrivals: 'Әзірге ешкім келген жоқ',
    student: 'Оқушы',
    staff: 'Қызметкер',
    visitor: 'Қонақ',
    guardian: 'Ата-ана',
    months: ['қаңтар', 'ақпан', 'наурыз', 'сәуір', 'мамыр', 'маусым', 'шілде', 'тамыз', 'қыркүйек', 'қазан', 'қараша', 'желтоқсан'],
    weekdays: ['дүйсенбі', 'сейсенбі', 'сәрсенбі', 'бейсенбі', 'жұма', 'сенбі', 'жексенбі'],
    dateFormat: '{y} ж. {d} {month}, {weekday}',
  },
  ru: {
    title: 'Приход в школу',
    recent: 'Последние',
    classes: 'Классы',
    group: 'Класс',
    present: 'Пришли',
    expected: 'Всего',
    late: 'Опоздали',
    lateMark: 'опоздание',
    in: 'Вход',
    out: 'Выход',
    offline: 'Нет связи',
    noArrivals: 'Пока никто не пришёл',
    student: 'Ученик',
    staff: 'Сотрудник',
    visitor: 'Посетитель',
    guardian: 'Родитель',
    months: ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'],
    weekdays: ['понедельник', 'вторник', 'среда', 'четверг', 'пятница', 'суббота', 'воскресенье'],
    dateFormat: '{d} {month} {y}, {weekday}',
  },
  en: {
    title: 'Arrivals',
    recent: 'Latest',
    classes: 'Classes',
    group: 'Class',
    present: 'Present',
    expected: 'Expected',
    late: 'Late',
    lateMark: 'late',
    in: 'In',
    out: 'Out',
    offline: 'Offline',
    noArrivals: 'No arrivals yet',
    student: 'Pupil',
    staff: 'Staff',
    visitor: 'Visitor',
    guardian: 'Parent',
    months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
    weekdays: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
    dateFormat: '{weekday}, {d} {month} {y}',
  },
};

/** BCP 47 locale for dates and times on the page. */
export const BOARD_LOCALES: Record<BoardLanguage, string> = { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' };

export function boardLabels(language: BoardLanguage): BoardLabels {
  return LABELS[language];
}
