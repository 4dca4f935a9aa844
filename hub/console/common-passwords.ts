// Common passwords the console refuses (compared lower-case): the usual keyboard walks, digit runs,
// "password" variants, and the Kazakh and Russian ones (city names, "parol", йцукен...). A module
// rather than a text file, so the hub's tsc build (dist-hub) and its release carry it.
// Short ones are listed too: the length rule catches them first, this list if the rule is lowered.
export const COMMON_PASSWORDS: readonly string[] = [
  '0000000000', '0987654321', '1111111111', '111222333', '1122334455', '11223344556', '123123123',
  '1231231234', '12341234', '1234512345', '123454321', '123456789', '1234567890', '1234567890a',
  '1234567890q', '1234567891', '12345678910', '123456789a', '123456789q', '123qweasd', '123qweasdzxc',
  '1q2w3e4r5t', '1q2w3e4r5t6y', '1qaz2wsx3edc', '2222222222', '5555555555', '7777777777', '8888888888',
  '9876543210', '9999999999', 'a123456789', 'a1b2c3d4e5', 'aaaaaaaaaa', 'aaaaaaaaaaa', 'abc1234567',
  'abcabcabc1', 'abcdef12345', 'abcdefghij', 'admin12345', 'admin123456', 'administrator', 'almaty12345',
  'almaty2024', 'almaty2025', 'asdfghjkl', 'asdfghjkl123', 'asdfqwerty', 'astana12345', 'astana2024',
  'astana2025', 'autumn2025', 'baseball123', 'batman12345', 'changeme12', 'changeme123', 'console123',
  'director123', 'director2025', 'dragon1234', 'esik123456', 'esikesik12', 'facebook123', 'football123',
  'google1234', 'guest12345', 'hubhubhub1', 'iloveyou', 'iloveyou12', 'iloveyou123', 'instagram1',
  'iphone1234', 'january2025', 'karaganda123', 'kazakhstan', 'kazakhstan1', 'kazakhstan123', 'letmein123',
  'login12345', 'master12345', 'monkey12345', 'mypassword', 'mypassword1', 'mypassword123', 'nopassword',
  'p@ssw0rd123', 'p@ssword123', 'parol12345', 'parol123456', 'parolparol', 'passw0rd123', 'password',
  'password!', 'password1', 'password12', 'password123', 'password1234', 'pokemon123', 'princess123',
  'q123456789', 'q1w2e3r4t5', 'qazaqstan', 'qazaqstan123', 'qazwsxedc', 'qazwsxedc123', 'qweasdzxc123',
  'qwerty123', 'qwerty1234', 'qwerty12345', 'qwerty7890', 'qwertyasdf', 'qwertyuiop', 'qwertyuiop123',
  'samsung123', 'school12345', 'school2024', 'school2025', 'school2026', 'secret12345', 'september1',
  'september2025', 'shymkent123', 'spring2025', 'starwars123', 'student123', 'summer2024', 'summer2025',
  'sunshine123', 'superman123', 'teacher123', 'teacher2025', 'telegram123', 'temp123456', 'temppassword',
  'test123456', 'testpassword', 'testtest12', 'trustno1234', 'user123456', 'welcome123', 'welcome1234',
  'whatsapp123', 'winter2024', 'winter2025', 'z123456789', 'zaq12wsxcde', 'zxcvbnm123', 'zxcvbnm1234',
  'йцукен1234', 'йцукенгшщз', 'пароль1234', 'пароль12345', 'парольпароль',
];
