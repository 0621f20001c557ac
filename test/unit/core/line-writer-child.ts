/** Child process of line-writer.test.ts: one buffered info line, then an exit or a crash. */
import { pino } from 'pino';
import { FdLineWriter } from '../../../src/core/line-writer.js';

const log = pino({ base: null, timestamp: false }, new FdLineWriter(1));
log.info('buffered');
if (process.argv[2] === 'crash') {
  setTimeout(() => {
    throw new Error('boom');
  }, 1);
} else {
  setTimeout(() => process.exit(0), 1);
}
