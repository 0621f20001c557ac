/** How a benchmark child process tells bench/run.ts it is listening: one JSON message over IPC (or a stdout line). */
export function announceReady(info: { port: number }): void {
  const line = JSON.stringify(info);
  if (process.send !== undefined) process.send(line);
  else process.stdout.write(`${line}\n`);
}
