/**
 * Lets bench/run.ts CPU-profile a server child over exactly the measured window: the IPC
 * messages "profile-start" and "profile-stop FILE" drive the V8 profiler through
 * node:inspector (so start-up and warm-up stay out of the profile, which `node --cpu-prof`
 * cannot do); the child answers "profiling" and "profiled".
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

export function acceptProfilerCommands(): void {
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
        .then(() => post('Profiler.setSamplingInterval', { interval: 200 }))
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
}
