#!/usr/bin/env node
/**
 * The `s3gate` command line.
 *   s3gate serve [--config proxy.toml]   run the proxy (no config and no ./proxy.toml: demo mode)
 *   s3gate config check [file]           validate a config file; exit 1 on problems
 *   s3gate keys|users|admin|store|audit  work on the store's database (run-store-command.ts)
 * The server (undici, ...) is imported only by `serve`, so the store commands start fast; the store
 * commands are imported only by themselves, so `serve` without `[store]` stays small.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile } from '../config/load-config.js';

const HELP: Record<string, string> = {
  main: `s3gate — an S3 credential gateway

Usage:
  s3gate serve [--config <file>]     run the proxy
  s3gate config check [<file>]       validate a configuration file

The store ([store] in the configuration; --config <file>, default ./proxy.toml):
  s3gate keys create --description <text> --scope <bucket>[/<prefix>]:<actions> [--scope ...]
  s3gate keys list | show <id> | disable <id> | enable <id> | revoke <id> | rotate <id>
  s3gate users create <username> --role Reader|Writer|SuperUser [--scope <bucket>[/<prefix>]]...
  s3gate users list | show | set-role | deactivate | activate | set-password | delete
  s3gate users create-key <username> | revoke-key <username>
  s3gate admin create-user <username>   create a SuperUser (the first admin)
  s3gate store rotate-master-key         re-encrypt the stored secrets under a new master key
  s3gate audit tail [--action s3.proxy.] [--limit 50]
  (--json for scripts; passwords only via --password-stdin or a prompt)

  s3gate <command> --help            help for a command

Exit codes: 0 ok, 1 the operation failed, 2 usage error.
Docs: README.md, docs/configuration.md, docs/cli.md, docs/actions.md`,
  serve: `Usage: s3gate serve [--config <file>]

Runs the proxy. The configuration is read from --config, else ./proxy.toml.
With neither, s3gate starts in demo mode: an embedded local S3 upstream (s3rver, data in
./.s3gate/), a bucket "demo", and a demo key printed at start, on 127.0.0.1:8090; the store
in ./.s3gate/data and the admin API on 127.0.0.1:8091 with a SuperUser "admin" whose
password is printed at start (kept in ./.s3gate/demo-credentials.json).
The configuration is reloaded on SIGHUP and whenever the file changes; an invalid edit is
logged and the running configuration keeps serving.

Options:
  --config <file>         configuration file (see proxy.example.toml)
  --listen <addr>         demo mode only: listen address (default 127.0.0.1:8090)
  --admin-listen <addr>   demo mode only: the admin API's address (default: the --listen port + 1)`,
  config: `Usage: s3gate config check [<file>]

Validates a configuration file (default ./proxy.toml) and prints every problem with the
file, the field and the fix. Exits 0 when valid, 1 otherwise.`,
};

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) {
    fail(`${name} needs a value`);
  }
  return value;
}

function fail(message: string): never {
  process.stderr.write(`s3gate: ${message}\n`);
  process.exit(2);
}

async function serve(args: string[]): Promise<void> {
  const explicit = flag(args, '--config');
  const configPath = explicit ?? (existsSync('proxy.toml') ? 'proxy.toml' : undefined);
  if (configPath !== undefined) {
    const path = resolve(configPath);
    const config = await loadConfigFile(path);
    const { startServer } = await import('../main.js');
    const server = await startServer({ config, configPath: path });
    process.stderr.write(`s3gate listening on ${server.url} (config ${path})\n`);
    handleSignals(server.close);
    return;
  }
  const listen = flag(args, '--listen') ?? '127.0.0.1:8090';
  // Loaded only in demo mode: the embedded s3rver (and koa under it) costs memory a real
  // deployment does not need.
  const { startDemo } = await import('./demo-upstream.js');
  const demo = await startDemo(resolve('.s3gate'), listen, flag(args, '--admin-listen'));
  const { startServer } = await import('../main.js');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ config: demo.config });
  } catch (err) {
    await demo.close();
    throw err;
  }
  const adminUrl = server.adminUrl ?? '(admin API not running)';
  const login = JSON.stringify({ username: demo.adminUsername, password: demo.adminPassword });
  process.stderr.write(
    [
      '',
      `s3gate demo: listening on ${server.url} in front of an embedded local S3 (data in ./.s3gate/)`,
      `  bucket:             ${demo.bucket}`,
      `  access key id:      ${demo.accessKeyId}`,
      `  secret access key:  ${demo.secretAccessKey}`,
      `  admin API:          ${adminUrl}`,
      `  admin user:         ${demo.adminUsername}`,
      `  admin password:     ${demo.adminPassword}`,
      '  (kept in ./.s3gate/demo-credentials.json; the store is ./.s3gate/data)',
      '',
      'Try:',
      `  export AWS_ACCESS_KEY_ID=${demo.accessKeyId} AWS_SECRET_ACCESS_KEY='${demo.secretAccessKey}' AWS_DEFAULT_REGION=us-east-1`,
      `  aws --endpoint-url ${server.url} s3 ls`,
      `  aws --endpoint-url ${server.url} s3 cp README.md s3://${demo.bucket}/`,
      `  curl -s ${adminUrl}/admin/api/login -H 'content-type: application/json' -d '${login}'`,
      '',
      'For real use write a proxy.toml (see proxy.example.toml) and run: s3gate serve --config proxy.toml',
      '',
    ].join('\n'),
  );
  handleSignals(async () => {
    await server.close();
    await demo.close();
  });
}

function handleSignals(close: () => Promise<void>): void {
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function configCheck(args: string[]): Promise<void> {
  const file = resolve(args.find((a) => !a.startsWith('--')) ?? 'proxy.toml');
  try {
    const config = await loadConfigFile(file);
    process.stdout.write(`${file}: OK (${config.backends.length} backend(s), ${config.credentials.length} credential(s))\n`);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`${problem}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP.main}\n`);
    return;
  }
  // The store commands (and better-sqlite3 under them) are not loaded by `serve`.
  if (command !== 'serve' && command !== 'config') {
    const { isStoreCommandGroup, runStoreCommand } = await import('./run-store-command.js');
    if (isStoreCommandGroup(command)) {
      process.exitCode = await runStoreCommand(command, rest, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
      return;
    }
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const text = HELP[command];
    if (text === undefined) fail(`unknown command "${command}" (see s3gate --help)`);
    process.stdout.write(`${text}\n`);
    return;
  }
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'config':
      if (rest[0] !== 'check') fail('usage: s3gate config check [<file>]');
      return configCheck(rest.slice(1));
    default:
      fail(`unknown command "${command}" (see s3gate --help)`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    for (const problem of err.problems) process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
  process.stderr.write(`s3gate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
