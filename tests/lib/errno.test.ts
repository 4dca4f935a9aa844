// lib/errno.ts against errors node:fs and node:net really raise, and against thrown values that are not errors.
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCode, isErrno } from '../../lib/index.js';

const thrownBy = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => expect.fail('did not throw'), (error: unknown) => error);

describe('errno checks', () => {
  it('recognise a missing file, and only by the codes asked for', async () => {
    const error = await thrownBy(readFile(join(tmpdir(), `esik-no-such-file-${process.pid}-${Date.now()}`)));
    expect(errorCode(error)).toBe('ENOENT');
    expect(isErrno(error, 'ENOENT')).toBe(true);
    expect(isErrno(error, 'EPERM')).toBe(false);
    expect(isErrno(error, 'EPERM', 'ENOENT')).toBe(true);
    expect(isErrno(error)).toBe(false);
  });

  it('recognise a refused unix socket connection as the admin client does', async () => {
    const socket = createConnection(join(tmpdir(), `esik-no-such-socket-${process.pid}-${Date.now()}.sock`));
    const error = await new Promise<unknown>((resolve) => socket.once('error', resolve));
    expect(isErrno(error, 'ENOENT', 'ECONNREFUSED')).toBe(true);
  });

  it('say no for values without a string code', () => {
    for (const value of [undefined, null, 'ENOENT', 42, new Error('ENOENT'), { code: 2 }]) {
      expect(errorCode(value)).toBeUndefined();
      expect(isErrno(value, 'ENOENT')).toBe(false);
    }
    expect(errorCode({ code: 'SQLITE_FULL' })).toBe('SQLITE_FULL');
  });
});
