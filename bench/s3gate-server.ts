/**
 * Runs s3gate in a child process (so its RSS and CPU profile are its own) from a generated
 * proxy.toml. argv[2] = path of the proxy.toml. Logs go to stdout as in production (the
 * runner points stdout at /dev/null). SIGTERM closes the server and exits.
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../src/config/parse-config.js';
import { createLogger } from '../src/core/logger.js';
import { startServer } from '../src/main.js';
import { acceptProfilerCommands } from './child-profiler.js';
import { announceReady } from './child-ready.js';

const configPath = process.argv[2];
if (configPath === undefined) throw new Error('usage: s3gate-server.ts proxy.toml');
const config = parseConfig(readFileSync(configPath, 'utf8'), configPath, process.env);
const server = await startServer({ config, logger: createLogger(config.log.level) });
acceptProfilerCommands();
announceReady({ port: server.port });
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
