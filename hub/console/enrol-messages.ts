// The photo enrolment page's words in Kazakh, Russian and English, beside messages.ts (same rule:
// every catalog has every key, so a missing translation is a compile error). The reasons are the
// face engine's quality gate (biometric/face/quality.ts) and decoder, said for the person at the page.
import type { CaptureRejection } from '../../biometric/index.js';
import type { Language } from './messages.js';

const en = {
  photos: 'Face photos',
  intro: 'Choose 1 to 5 photos of this person: one face, frontal, sharp, well lit. The photos are turned into templates in memory and are never stored.',
  choose: 'Photos (JPEG or PNG, up to 5, 4 MB each)',
  enrol: 'Enrol',
  photo: 'Photo',
  accepted: 'accepted',
  enrolled: 'Templates enrolled: {n} of {m} photos. Kiosks receive them with their next sync.',
  noneEnrolled: 'No photo was accepted, so nothing was stored.',
  noConsent: 'There is no biometric consent on record for this person: photos cannot be enrolled.',
  notActive: 'This person is blocked: photos cannot be enrolled.',
  noPhotos: 'Choose at least one photo.',
  busy: 'Another enrolment is being computed; try again in a moment.',
  engineDown: 'The face engine is not available; try again later.',
  r_not_an_image: 'not a JPEG or PNG image',
  r_image_too_large: 'the image is too large',
  r_no_face: 'no face found',
  r_several_faces: 'several faces: one person per photo',
  r_face_too_small: 'the face is too small: come closer or crop',
  r_blurry: 'blurry',
  r_bad_pose: 'head turned: look straight at the camera',
  r_low_quality: 'the face is not clear enough',
};

export type EnrolCatalog = Record<keyof typeof en, string>;

const ru: EnrolCatalog = {
  photos: 'Фотографии лица',
  intro: 'Выберите от 1 до 5 фотографий этого человека: одно лицо, анфас, резко, при хорошем свете. Фотографии превращаются в шаблоны в памяти и нигде не сохраняются.',
  choose: 'Фотографии (JPEG или PNG, до 5, по 4 МБ)',
  enrol: 'Зарегистрировать',
  photo: 'Фото',
  accepted: 'принято',
  enrolled: 'Зарегистрировано шаблонов: {n} из {m} фотографий. Киоски получат их при следующей синхронизации.',
  noneEnrolled: 'Ни одна фотография не принята, ничего не сохранено.',
  noConsent: 'Для этого человека нет согласия на биометрию: фотографии зарегистрировать нельзя.',
  notActive: 'Этот человек заблокирован: фотографии зарегистрировать нельзя.',
  noPhotos: 'Выберите хотя бы одну фотографию.',
  busy: 'Сейчас вычисляется другая регистрация; повторите через минуту.',
  engineDown: 'Модуль распознавания лиц недоступен; повторите позже.',
  r_not_an_image: 'это не изображение JPEG или PNG',
  r_image_too_large: 'изображение слишком большое',
  r_no_face: 'лицо не найдено',
  r_several_faces: 'несколько лиц: на фото должен быть один человек',
  r_face_too_small: 'лицо слишком маленькое: подойдите ближе или обрежьте',
  r_blurry: 'размыто',
  r_bad_pose: 'голова повёрнута: смотрите прямо в камеру',
  r_low_quality: 'лицо недостаточно чёткое',
};

const kk: EnrolCatalog = {
  photos: 'Бет суреттері',
  intro: 'Осы адамның 1-ден 5-ке дейін суретін таңдаңыз: бір бет, тура қарап, анық, жарық жерде. Суреттер жадта үлгіге айналады және ешқайда сақталмайды.',
  choose: 'Суреттер (JPEG не PNG, 5-ке дейін, әрқайсысы 4 МБ)',
  enrol: 'Тіркеу',
  photo: 'Сурет',
  accepted: 'қабылданды',
  enrolled: 'Тіркелген үлгілер: {m} суреттің {n}. Киоскілер оларды келесі синхрондауда алады.',
  noneEnrolled: 'Бірде-бір сурет қабылданбады, ештеңе сақталмады.',
  noConsent: 'Бұл адамның биометрияға келісімі жоқ: суреттерді тіркеуге болмайды.',
  notActive: 'Бұл адам бұғатталған: суреттерді тіркеуге болмайды.',
  noPhotos: 'Кемінде бір сурет таңдаңыз.',
  busy: 'Қазір басқа тіркеу есептелуде; біраздан соң қайталаңыз.',
  engineDown: 'Бет тану модулі қолжетімсіз; кейінірек қайталаңыз.',
  r_not_an_image: 'JPEG не PNG сурет емес',
  r_image_too_large: 'сурет тым үлкен',
  r_no_face: 'бет табылмады',
  r_several_faces: 'бірнеше бет: суретте бір адам болуы керек',
  r_face_too_small: 'бет тым кішкентай: жақындаңыз немесе қиып алыңыз',
  r_blurry: 'бұлыңғыр',
  r_bad_pose: 'бас бұрылған: камераға тура қараңыз',
  r_low_quality: 'бет жеткілікті анық емес',
};

const CATALOGS: Record<Language, EnrolCatalog> = { en, ru, kk };

export function enrolCatalog(language: Language): EnrolCatalog {
  return CATALOGS[language];
}

export function reasonText(t: EnrolCatalog, reason: CaptureRejection): string {
  return t[`r_${reason}`];
}
