import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALICE } from './in-memory-services.ts';
import { ensureDefaultType, seedShare, startTestApi, type TestApi } from './harness.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());
beforeEach(async () => {
  api.reset();
  await ensureDefaultType(api);
});

describe('API: DELETE /shares/{id} and the data its instances leave', () => {
  it('starts the purge of the data the deleted instances left, and answers 202 while the share is deleting', async () => {
    // Prepare: the in-memory share service says this share's instance left data (as an EFS access point does)
    const share = await seedShare(api, ALICE, { metadata: { 'test:leaves-data': 'true' } });

    // Act
    const res = await api.call('DELETE', `/v2/shares/${share.id}`, { token: ALICE.token });

    // Assess
    expect(res.status).toBe(202);
    expect(api.services.purgesStarted).toEqual([share.id]);
    expect(api.services.shareRecords.get(share.id)?.status).toBe('deleting');
  });

  it('starts no purge when deleting the instances removed everything', async () => {
    // Prepare
    const share = await seedShare(api, ALICE);

    // Act
    const res = await api.call('DELETE', `/v2/shares/${share.id}`, { token: ALICE.token });

    // Assess
    expect(res.status).toBe(202);
    expect(api.services.purgesStarted).toEqual([]);
    expect(api.services.shareRecords.has(share.id)).toBe(false);
  });
});
