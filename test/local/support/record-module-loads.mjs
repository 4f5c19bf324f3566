// Preloaded with --import into a process under test: appends the URL of every module it loads (ES
// modules and require()d ones) to the file SMIG_RECORD_LOADS names, one a line, as it loads them.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.SMIG_RECORD_LOADS;
if (file) {
  registerHooks({
    load(url, context, nextLoad) {
      appendFileSync(file, `${url}\n`);
      return nextLoad(url, context);
    },
  });
}
