// The kiosk's logger: JSON lines for journald (stdout not a terminal), pino-pretty's readable lines
// for a person at a terminal, secrets censored in both. The TTY is an injected flag, not a real one.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createKioskLogger, logFormatFor } from '../../device/systemd/logger.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { stream, text: () => out };
}

describe('kiosk logger', () => {
  it('chooses pretty for a terminal and JSON otherwise', () => {
    expect(logFormatFor({ isTTY: true })).toBe('pretty');
    expect(logFormatFor({ isTTY: false })).toBe('json');
    expect(logFormatFor({})).toBe('json'); // a pipe or journald's socket has no isTTY at all
  });

  it('writes one JSON object per line when stdout is not a terminal, token censored', () => {
    const out = capture();
    const logger = createKioskLogger({ base: { device: 'k1' }, stdout: { isTTY: false }, destination: out.stream });
    logger.info({ sync: { token: 'secret-token-value' } }, 'kiosk started');
    const record = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 30, device: 'k1', msg: 'kiosk started', sync: { token: '[redacted]' } });
  });

  it('writes readable lines when stdout is a terminal, token still censored', () => {
    const out = capture();
    const logger = createKioskLogger({ base: { device: 'k1' }, stdout: { isTTY: true }, destination: out.stream });
    logger.warn({ sync: { token: 'secret-token-value' } }, 'hub unreachable');
    const text = out.text();
    expect(text.startsWith('{')).toBe(false);
    expect(text).toMatch(/WARN.*hub unreachable/u);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('secret-token-value');
  });
});
