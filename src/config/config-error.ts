/**
 * The one error a configuration load can end in: every problem found, one line each, each
 * naming the file, the field path as TOML spells it (`credentials[2].allowed_scopes[0].actions[1]`),
 * what is wrong and how to fix it. `s3gate config check` prints `problems` as they are.
 */
export class ConfigError extends Error {
  readonly fileName: string;
  readonly problems: readonly string[];

  constructor(fileName: string, problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${fileName}: invalid configuration (${count}):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.fileName = fileName;
    this.problems = problems;
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}
