/**
 * Runs s3gate in a child process (so its RSS and CPU profile are its own) from a generated
 * proxy.toml. argv[2] = path of the proxy.toml. Logs go to stdout as in production (the
 * runner points stdout at /dev/null). SIGTERM closes the server and exits.
 *
 * Profiling: the IPC messages "profile-start" and "profile-stop FILE" run the V8 CPU
 * profiler (node:inspector) over exactly the measured window, so start-up and warm-up are
 * not in the profile (what `node --cpu-prof` would include); the child answers "profiled".
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { parseConfig } from '../src/config/parse-config.js';
import { createLogger } from '../src/core/logger.js';
import { startServer } from '../src/main.js';
import { announceReady } from './child-ready.js';

const configPath = process.argv[2];
if (configPath === undefined) throw new Error('usage: s3gate-server.ts proxy.toml');
const config = parseConfig(readFileSync(configPath, 'utf8'), configPath, process.env);
const server = await startServer({ config, logger: createLogger(config.log.level) });

let session: Session | undefined;
const post = (method: string, params?: object): Promise<unknown> =>
  new Promise((resolve, reject) => {
    if (session === undefined) {
      reject(new Error('no inspector session'));
      return;
    }
    session.post(method, params ?? {}, (err, result) => (err === null ? resolve(result) : reject(err)));
  });

process.on('message', (message) => {
  const text = String(message);
  if (text === 'profile-start') {
    session = new Session();
    session.connect();
    void post('Profiler.enable')
      .then(() => post('Profiler.setSamplingInterval', { interval: 100 }))
      .then(() => post('Profiler.start'))
      .then(() => process.send?.('profiling'));
  } else if (text.startsWith('profile-stop ')) {
    void post('Profiler.stop').then((result) => {
      writeFileSync(text.slice('profile-stop '.length), JSON.stringify((result as { profile: unknown }).profile));
      session?.disconnect();
      session = undefined;
      process.send?.('profiled');
    });
  }
});

announceReady({ port: server.port });
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
