import five from 'johnny-five';
import { Firmata as MockFirmata, SerialPort as MockSerialPort } from 'mock-firmata';
import pino from 'pino';
import sinon from 'sinon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDoors } from '../../../device/door/index.js';
import { closeFirmataBoard } from '../../../device/hw/firmata/board-pool.js';
import { createFirmataBoardPool, createInput, createRelay, InputConfigSchema, RelayConfigSchema } from '../../../device/hw/index.js';

const logger = pino({ level: 'silent' });

/** A johnny-five Board on a MockFirmata io, brought to 'ready' the way johnny-five's own tests do. */
async function mockBoard(transport?: MockSerialPort): Promise<{ board: five.Board; io: MockFirmata }> {
  const io = new MockFirmata();
  // johnny-five takes the board's serial line from io.transport, as it does with a real Firmata io.
  if (transport !== undefined) io.transport = transport;
  const board = new five.Board({ io, repl: false, debug: false });
  const ready = new Promise<void>((resolve) => board.on('ready', () => resolve()));
  io.emit('connect');
  io.emit('ready');
  await ready;
  return { board, io };
}

describe('johnny-five drivers against MockFirmata', () => {
  afterEach(() => {
    sinon.restore();
    vi.useRealTimers();
  });

  it('relay: released level first, OUTPUT mode, then coil levels (active-low)', async () => {
    const { board, io } = await mockBoard();
    const pinMode = sinon.spy(io, 'pinMode');
    const digitalWrite = sinon.spy(io, 'digitalWrite');
    const relay = await createRelay(RelayConfigSchema.parse({ driver: 'firmata', pin: 7, activeLow: true }), { logger, firmataBoard: () => Promise.resolve(board) });
    expect(pinMode.args).toEqual([[7, 1]]);
    expect(digitalWrite.args).toEqual([
      [7, 1],
      [7, 1],
    ]);
    await relay.set(true);
    await relay.set(false);
    expect(digitalWrite.args.slice(2)).toEqual([
      [7, 0],
      [7, 1],
    ]);
    await relay.close();
    await expect(relay.set(true)).rejects.toThrow(/closed/u);
  });

  it('input: pull-up mode, reports inverted for active-low, changes only', async () => {
    const { board, io } = await mockBoard();
    const pinMode = sinon.spy(io, 'pinMode');
    let report: ((value: number) => void) | undefined;
    sinon.replace(io, 'digitalRead', (_pin: number, cb: (value: number) => void) => {
      report = cb;
    });
    const input = await createInput(InputConfigSchema.parse({ driver: 'firmata', pin: 2, activeLow: true, pullup: true, debounceMs: 0 }), { logger, firmataBoard: () => Promise.resolve(board) });
    expect(pinMode.args).toEqual([[2, 0x0b]]);
    const changes: boolean[] = [];
    input.on('change', (active: boolean) => changes.push(active));
    expect(input.read()).toBe(false); // pull-up idles HIGH = inactive
    report?.(1);
    report?.(0);
    report?.(0);
    report?.(1);
    expect(changes).toEqual([true, false]);
    await input.close();
    report?.(0);
    expect(input.read()).toBe(false);
  });

  it('input: debounced, a bouncing contact yields one change once it settles', async () => {
    vi.useFakeTimers();
    const { board, io } = await mockBoard();
    let report: ((value: number) => void) | undefined;
    sinon.replace(io, 'digitalRead', (_pin: number, cb: (value: number) => void) => {
      report = cb;
    });
    const input = await createInput(InputConfigSchema.parse({ driver: 'firmata', pin: 3, debounceMs: 20 }), { logger, firmataBoard: () => Promise.resolve(board) });
    const changes: boolean[] = [];
    input.on('change', (active: boolean) => changes.push(active));
    for (const level of [1, 0, 1, 0, 1]) {
      report?.(level);
      await vi.advanceTimersByTimeAsync(5);
    }
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(changes).toEqual([true]);
    report?.(0);
    report?.(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(changes).toEqual([true]);
    await input.close();
  });

  it('board pool opens one board per port and shares it between doors', async () => {
    const { board, io } = await mockBoard();
    const opener = sinon.fake((_port: string | undefined) => Promise.resolve(board));
    const pool = createFirmataBoardPool(logger, opener);
    const digitalWrite = sinon.spy(io, 'digitalWrite');
    const doors = await createDoors(
      [
        { name: 'a', lockType: 'fail-secure', relay: { driver: 'firmata', port: '/dev/ttyACM0', pin: 8 } },
        { name: 'b', lockType: 'fail-safe', relay: { driver: 'firmata', port: '/dev/ttyACM0', pin: 9 } },
      ],
      { logger, firmataBoard: pool },
    );
    expect(opener.callCount).toBe(1);
    expect(opener.firstCall.args[0]).toBe('/dev/ttyACM0');
    // Door b (fail-safe, NO contact) must be driven to locked = coil on = HIGH at start.
    expect(digitalWrite.args.filter(([pin]) => pin === 9).at(-1)).toEqual([9, 1]);
    digitalWrite.resetHistory();
    await doors.get('a')!.grant('in');
    expect(digitalWrite.args).toEqual([[8, 1]]);
    await doors.safeState();
    expect(digitalWrite.args.slice(1)).toEqual(expect.arrayContaining([[8, 0], [9, 0]]));
    await doors.close();
  });

  it('a failed board open is forgotten so the next caller retries', async () => {
    const { board } = await mockBoard();
    let calls = 0;
    const pool = createFirmataBoardPool(logger, () => (++calls === 1 ? Promise.reject(new Error('ENOENT /dev/ttyACM0')) : Promise.resolve(board)));
    await expect(pool('/dev/ttyACM0')).rejects.toThrow(/ENOENT/u);
    await expect(pool('/dev/ttyACM0')).resolves.toBe(board);
    expect(calls).toBe(2);
  });

  it('board pool close() closes each serial port once, after which the pool opens nothing', async () => {
    const ports = [new MockSerialPort('/dev/ttyACM0'), new MockSerialPort('/dev/ttyACM1')];
    // A serialport-like close: marks the port closed and calls back, as SerialPort#close does.
    const closes = ports.map((port) =>
      sinon.replace(port, 'close', sinon.fake((callback?: (error?: Error | null) => void) => {
        port.isClosed = true;
        callback?.(null);
      })),
    );
    const boards = await Promise.all(ports.map((port) => mockBoard(port)));
    const pool = createFirmataBoardPool(logger, (port) => Promise.resolve(boards[port === '/dev/ttyACM0' ? 0 : 1].board));
    const doors = await createDoors(
      [
        { name: 'a', lockType: 'fail-secure', relay: { driver: 'firmata', port: '/dev/ttyACM0', pin: 8 } },
        { name: 'b', lockType: 'fail-secure', relay: { driver: 'firmata', port: '/dev/ttyACM1', pin: 8 } },
      ],
      { logger, firmataBoard: pool },
    );
    await doors.safeState();
    await doors.close();
    expect(closes.map((close) => close.callCount)).toEqual([0, 0]);
    await pool.close();
    expect(closes.map((close) => close.callCount)).toEqual([1, 1]);
    expect(ports.map((port) => port.isClosed)).toEqual([true, true]);
    await pool.close();
    expect(closes.map((close) => close.callCount)).toEqual([1, 1]);
    await expect(pool('/dev/ttyACM0')).rejects.toThrow(/closed/u);
  });

  it('a serial port that never confirms its close does not hold up shutdown past the deadline', async () => {
    vi.useFakeTimers();
    const port = new MockSerialPort('/dev/ttyACM0'); // mock-firmata's close() never calls back
    const close = sinon.spy(port, 'close');
    const { board } = await mockBoard(port);
    let done = false;
    const closing = closeFirmataBoard(board, logger, 2000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(done).toBe(true);
    expect(close.callCount).toBe(1);
    expect(port.isClosed).toBe(true);
  });
});
