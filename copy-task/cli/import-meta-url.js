// Stands in for import.meta.url in the CommonJS bundle (cli/build.mjs): the bundle's own address,
// from which native/index.ts finds the addon.
export const import_meta_url = require('node:url').pathToFileURL(__filename).href;
