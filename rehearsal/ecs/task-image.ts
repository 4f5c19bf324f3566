/**
 * The copy task's container image as cdk.out stages it: the Docker build context CDK hashed for the
 * image asset (what `cdk deploy` builds and pushes), with its Dockerfile. No Docker engine runs here,
 * so the rehearsal "builds" it the way the Dockerfile does in the parts that matter to the program:
 * the staged files as the working folder, the project's installed packages as node_modules (the image
 * installs the production ones), the native addon built by `npm install`, and the Dockerfile's
 * WORKDIR and ENTRYPOINT.
 */
import { cp, mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface TaskImage {
  /** The folder that plays the image's WORKDIR. */
  readonly workdir: string;
  /** The image's ENTRYPOINT and CMD (a container definition or a RunTask override may replace either). */
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
}

/** What a container runs: its definition's entry point and command, else the image's; `node` is this Node.js. */
export function containerCommand(image: TaskImage, entryPoint: readonly string[] | undefined, command: readonly string[] | undefined): string[] {
  const argv = [...(entryPoint?.length ? entryPoint : image.entrypoint), ...(command?.length ? command : image.cmd)];
  if (argv.length === 0) throw new Error('The container has no entry point or command');
  return argv.map((part, index) => (index === 0 && part === 'node' ? process.execPath : part));
}

/** Prepares the image of the asset whose hash ends the container's image URI. */
export async function prepareTaskImage(cdkOut: string, imageUri: string, into: string, repoRoot: string): Promise<TaskImage> {
  const hash = imageUri.slice(imageUri.lastIndexOf(':') + 1);
  const asset = path.join(cdkOut, `asset.${hash}`);
  if (!existsSync(path.join(asset, 'copy-task', 'Dockerfile')) && !existsSync(path.join(asset, 'Dockerfile'))) {
    throw new Error(`The copy image's asset ${asset} is not in cdk.out (image ${imageUri})`);
  }
  const manifest = await dockerfileOf(asset);
  const workdir = path.join(into, `image-${hash.slice(0, 12)}`);
  await rm(workdir, { recursive: true, force: true });
  await mkdir(path.dirname(workdir), { recursive: true });
  await cp(asset, workdir, { recursive: true });
  // What the Dockerfile's other stages add: production packages and the addon (built the same way, by npm install).
  await symlink(path.join(repoRoot, 'node_modules'), path.join(workdir, 'node_modules'));
  const addon = path.join(repoRoot, 'copy-task', 'native', 'build');
  if (existsSync(addon)) await cp(addon, path.join(workdir, 'copy-task', 'native', 'build'), { recursive: true });
  if (manifest.entrypoint.length + manifest.cmd.length === 0) throw new Error(`The copy image's Dockerfile has no ENTRYPOINT or CMD`);
  return { workdir, entrypoint: manifest.entrypoint, cmd: manifest.cmd };
}

interface Dockerfile {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
}

async function dockerfileOf(asset: string): Promise<Dockerfile> {
  const candidates = [path.join(asset, 'copy-task', 'Dockerfile'), path.join(asset, 'Dockerfile')];
  const file = candidates.find((candidate) => existsSync(candidate))!;
  const text = await readFile(file, 'utf8');
  // The last stage's instructions win; only the exec (JSON) form is used by the project.
  const stage = text.split(/^FROM\s/m).at(-1)!;
  const instruction = (name: string): string[] => {
    const matches = [...stage.matchAll(new RegExp(`^${name}\\s+(\\[.*\\])\\s*$`, 'gm'))];
    return matches.length === 0 ? [] : (JSON.parse(matches.at(-1)![1]!) as string[]);
  };
  return { entrypoint: instruction('ENTRYPOINT'), cmd: instruction('CMD') };
}
