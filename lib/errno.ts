// Named error-code checks (balena-supervisor's src/lib/errors.ts): one spelling of "is this the
// system error X" instead of a cast at every site. Works on anything thrown, not only on Error:
// a value without a string `code` is simply not that error.

/** The `code` of a thrown value (an errno name like 'ENOENT', or SQLite's 'SQLITE_FULL'), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** True when `error` carries one of `codes`: `isErrno(error, 'ENOENT')`, `isErrno(error, 'ENOENT', 'ECONNREFUSED')`. */
export function isErrno(error: unknown, ...codes: readonly string[]): boolean {
  const code = errorCode(error);
  return code !== undefined && codes.includes(code);
}
