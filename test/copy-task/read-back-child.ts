/**
 * Run by the read-back tests inside a private mount namespace (see private-mount.ts), where the file
 * systems they need are mounted; prints one JSON line.
 *
 *   hash FILE                    hashFile and hashFromStorage of FILE
 *   diverge IMAGE FILE           FILE written (random bytes), then changed in IMAGE behind the page
 *                                cache: what it was written as, and what hashFile and hashFromStorage see
 *   copy SRC DST VERIFY [IMAGE]  a final pass with verifyFrom VERIFY; with IMAGE, each copy is changed
 *                                in IMAGE once written (the afterCopy hook), before it is verified
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { CopyFailedError, copyTree, type VerifyFrom } from '../../copy-task/engine/index.ts';
import { nativeStatus } from '../../copy-task/native/index.ts';
import { corruptInImage } from './private-mount.ts';

const [command, ...args] = process.argv.slice(2);
if (!nativeStatus.loaded) throw new Error(`the native addon is not loaded: ${nativeStatus.reason}`);
const addon = nativeStatus.fs;

async function main(): Promise<unknown> {
  switch (command) {
    case 'hash': {
      const file = Buffer.from(args[0] as string);
      return { cached: await addon.hashFile(file), storage: await addon.hashFromStorage(file) };
    }
    case 'diverge': {
      const [image, path] = args as [string, string];
      await writeFile(path, randomBytes(64 * 1024));
      const written = await addon.hashFile(Buffer.from(path));
      await corruptInImage(image, path);
      return { written, cached: await addon.hashFile(Buffer.from(path)), storage: await addon.hashFromStorage(Buffer.from(path)) };
    }
    case 'copy': {
      const [source, destination, verifyFrom, image] = args as [string, string, VerifyFrom, string | undefined];
      const hooks = image ? { afterCopy: ({ destination: copy }: { destination: string }) => corruptInImage(image, copy) } : undefined;
      try {
        return { summary: await copyTree(source, destination, { pass: 'final', verifyFrom, ...(hooks ? { hooks } : {}) }) };
      } catch (error) {
        if (error instanceof CopyFailedError) return { failures: error.failures, summary: error.summary };
        throw error;
      }
    }
    default:
      throw new Error(`unknown command ${String(command)}`);
  }
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
