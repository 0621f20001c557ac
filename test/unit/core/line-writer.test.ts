import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FdLineWriter } from '../../../src/core/line-writer.js';

const dir = mkdtempSync(join(tmpdir(), 's3gate-line-writer-'));
const open: { writer: FdLineWriter; fd: number }[] = [];

function writerToFile(name: string): { writer: FdLineWriter; read: () => string } {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const writer = new FdLineWriter(fd);
  open.push({ writer, fd });
  return { writer, read: () => readFileSync(path, 'utf8') };
}

afterEach(() => {
  for (const { writer, fd } of open.splice(0)) {
    writer.close();
    closeSync(fd);
  }
});

describe('FdLineWriter', () => {
  it('batches info lines until flushed, and writes them in order', () => {
    const { writer, read } = writerToFile('batch.log');
    const log = pino({ base: null, timestamp: false }, writer);
    log.info('one');
    log.info('two');
    expect(read()).toBe('');
    writer.flush();
    expect(read().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['one', 'two']);
  });

  it('writes a warning or an error at once, after the lines waiting before it', () => {
    const { writer, read } = writerToFile('warn.log');
    const log = pino({ base: null, timestamp: false }, writer);
    log.info('first');
    log.warn('second');
    expect(read().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['first', 'second']);
    log.error('third');
    expect(read()).toContain('"third"');
  });

  it('writes a batch once 16 KiB wait', () => {
    const { writer, read } = writerToFile('size.log');
    const log = pino({ base: null, timestamp: false }, writer);
    for (let i = 0; i < 200; i++) log.info({ i, pad: 'x'.repeat(100) }, 'line');
    const written = read();
    expect(written.length).toBeGreaterThanOrEqual(16 * 1024);
    writer.flush();
    expect(read().split('\n').filter(Boolean)).toHaveLength(200);
  });

  it('keeps lines longer than its buffer whole, and multi-byte text intact', () => {
    const { writer, read } = writerToFile('long.log');
    const long = `${'ä€𝄞'.repeat(40_000)}\n`;
    writer.write('short\n');
    writer.write(long);
    writer.flush();
    expect(read()).toBe(`short\n${long}`);
  });

  it('drops and counts lines it cannot write instead of throwing', () => {
    const writer = new FdLineWriter(999_999);
    writer.write('a\n');
    writer.write('b\n');
    expect(() => writer.flush()).not.toThrow();
    expect(writer.droppedLines).toBe(2);
    writer.close();
  });

  it('writes what is still buffered when the process exits, a crash included', () => {
    const script = join(import.meta.dirname, 'line-writer-child.ts');
    for (const mode of ['exit', 'crash']) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', script, mode], { encoding: 'utf8' });
      expect(child.status).toBe(mode === 'exit' ? 0 : 1);
      expect(child.stdout).toContain('"buffered"');
    }
  });
});
