import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../../cdk/lib/paths.ts';

/** One FROM instruction of a Dockerfile: its image reference and the stage name it gives, if any. */
interface FromLine {
  readonly line: string;
  readonly image: string;
  readonly stage?: string;
}

/** The FROM instructions, in order (flags such as --platform skipped). */
function fromLines(dockerfile: string): FromLine[] {
  return dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^FROM\s/i.test(line))
    .map((line) => {
      const words = line.split(/\s+/).slice(1).filter((word) => !word.startsWith('--'));
      const stage = words[1]?.toUpperCase() === 'AS' ? words[2] : undefined;
      return { line, image: words[0]!, ...(stage === undefined ? {} : { stage }) };
    });
}

/** `name:tag@sha256:<64 hex>`: the tag for the reader, the digest (of the multi-platform index) for the pull. */
const PINNED = /^(?<name>[a-z0-9][a-z0-9._\/-]*):(?<tag>[A-Za-z0-9._-]+)@sha256:(?<digest>[0-9a-f]{64})$/;

describe('Dockerfile: copy-task/Dockerfile', () => {
  const dockerfile = readFileSync(repoPath('copy-task/Dockerfile'), 'utf8');
  const froms = fromLines(dockerfile);

  it('pins every base image by digest, keeping its tag', () => {
    // Prepare: a FROM naming an earlier stage builds on that stage, not on a registry image.
    const earlierStages = new Set<string>();
    const unpinned: string[] = [];

    // Act
    for (const from of froms) {
      if (!earlierStages.has(from.image) && !PINNED.test(from.image)) unpinned.push(from.line);
      if (from.stage !== undefined) earlierStages.add(from.stage);
    }

    // Assess
    expect(froms.length).toBeGreaterThanOrEqual(3);
    expect(unpinned).toEqual([]);
  });

  it('builds every stage, the native addon\'s too, on one image: the addon is compiled against the Node and glibc it runs with', () => {
    // Prepare
    const pins = froms.map((from) => from.image).filter((image) => PINNED.test(image));

    // Assess
    expect(new Set(pins).size).toBe(1);
    const { name, tag } = PINNED.exec(pins[0]!)!.groups!;
    expect(name).toBe('node');
    // The Node line the project runs on (package.json's `node` devDependency, which npm scripts use).
    const packageJson = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const nodeMajor = /^\D*(\d+)/.exec(packageJson.devDependencies['node']!)![1];
    expect(tag).toBe(`${nodeMajor}-slim`);
  });

  it('gives the native stage the toolchain node-gyp needs, which the slim image lacks', () => {
    // Prepare
    const stages = dockerfile.split(/^(?=FROM\s)/m);
    const nativeStage = stages.find((stage) => /^FROM\s.*\sAS native\s*$/i.test(stage.split('\n')[0]!)) ?? '';

    // Assess
    expect(nativeStage).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
    expect(nativeStage).toContain('node copy-task/native/build.mjs --strict');
  });
});
