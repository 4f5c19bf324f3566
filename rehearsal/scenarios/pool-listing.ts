/**
 * The first thing an operator does after `cdk deploy`: list the pools with the manila CLI. Every pool of
 * both EFS backends is there, with its capabilities, which takes the API function's EFS read grants on
 * the backends' file systems.
 */
import { check, type Scenario } from './scenario.ts';

export const poolListing: Scenario = {
  name: 'pools',
  title: 'manila pool-list --detail lists every pool of both EFS backends',
  async run({ rehearsal, manila, note }) {
    const listed = await manila('pool-list', '--detail');
    const hosts = rehearsal.backends.hosts;
    const missing = hosts.filter((host) => !listed.includes(host.split('#')[0]!) || !listed.includes(host.split('#')[1]!));
    check(missing.length === 0, `manila pool-list does not show ${missing.join(', ')}:\n${listed}`);
    check(listed.includes('efs_mode'), `manila pool-list --detail shows no EFS capabilities:\n${listed}`);
    note(`${hosts.length} pools listed: ${hosts.join(', ')}`);
  },
};
