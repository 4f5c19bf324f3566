import { describe, expect, it } from 'vitest';
import { validateMigrationInput } from '../../lambdas/core/migrations/migration-request.ts';
import { InvalidRequestError } from '../../lambdas/core/errors.ts';

describe('Execution input validation', () => {
  it('fills defaults and keeps the migration id the API set', () => {
    const v = validateMigrationInput({ share_id: 's', host: 'local@beta#default', writable: true, migration_id: 'm' });
    expect(v).toMatchObject({ shareId: 's', destinationHost: 'local@beta#default', migrationId: 'm' });
    expect(v.options).toEqual({
      writable: true, preserve_metadata: false, preserve_snapshots: false, nondisruptive: false,
      force_host_assisted_migration: false, auto_complete: false, new_share_type_id: null, new_share_network_id: null, refresh_interval: null,
    });
  });

  it.each([
    [null, /JSON object/],
    [{ host: 'local@beta#default' }, /share_id is required/],
    [{ share_id: 's' }, /Destination host is required/],
    [{ share_id: 's', host: 'beta' }, /host@backend#pool/],
    [{ share_id: 's', host: 'a@b#c', writable: 'yes' }, /writable: expected a boolean/],
    [{ share_id: 's', host: 'a@b#c', surprise: 1 }, /Unknown migration option\(s\): surprise/],
    [{ share_id: 's', host: 'a@b#c', force_host_assisted_migration: true, nondisruptive: true }, /force_host_assisted_migration cannot be combined/],
  ])('rejects %j', (input, message) => {
    expect(() => validateMigrationInput(input)).toThrow(InvalidRequestError);
    expect(() => validateMigrationInput(input)).toThrow(message);
  });
});
