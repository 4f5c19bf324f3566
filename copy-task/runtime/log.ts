export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

export type LogFields = Readonly<Record<string, unknown>>;

/** Structured log lines: one JSON object per line, with the fields given at creation on every line. */
export interface JsonLogger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogWriter = (line: string, level: LogLevel) => void;

export function createJsonLogger(write: LogWriter, base: LogFields, now: () => Date = () => new Date()): JsonLogger {
  const log = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    const line = { level, timestamp: now().toISOString(), ...base, message, ...serializable(fields) };
    write(JSON.stringify(line), level);
  };
  return {
    info: (message, fields) => log('INFO', message, fields),
    warn: (message, fields) => log('WARN', message, fields),
    error: (message, fields) => log('ERROR', message, fields),
  };
}

/** Errors on stderr (what a supervisor shows when the task fails), everything else on stdout. */
export const writeToStdio: LogWriter = (line, level) => {
  (level === 'ERROR' ? process.stderr : process.stdout).write(`${line}\n`);
};

function serializable(fields: LogFields): LogFields {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? describeError(value) : value]));
}

export function describeError(error: Error): { name: string; message: string } {
  return { name: error.name, message: error.message };
}
