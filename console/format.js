/** How numbers, times and states read in the console. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function count(n) {
  return typeof n === 'number' ? n.toLocaleString('en') : '–';
}

export function duration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function between(from, to) {
  if (!from) return '–';
  const end = to ? Date.parse(to) : Date.now();
  return duration((end - Date.parse(from)) / 1000);
}

export function time(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

const GOOD = new Set(['available', 'active', 'migration_success', 'data_copying_completed', 'migration_driver_phase1_done']);
const BAD = new Set(['error', 'migration_error', 'migration_cancelled', 'error_deleting', 'extending_error', 'shrinking_error']);

/** A badge's tone for a status or task_state. */
export function tone(value) {
  if (value === null || value === undefined) return '';
  if (GOOD.has(value)) return 'ok';
  if (BAD.has(value)) return 'bad';
  return 'warn';
}

/** Task states a migration does not leave by itself. */
export const FINAL_TASK_STATES = new Set(['migration_success', 'migration_error', 'migration_cancelled', null]);
export const PHASE1_DONE = new Set(['data_copying_completed', 'migration_driver_phase1_done']);
