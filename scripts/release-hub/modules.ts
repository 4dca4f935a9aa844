// Which installed packages a hub build needs: the packages its compiled files import, and what
// those depend on, resolved the way Node resolves them (a nested node_modules first, then up to the
// checkout's). The kiosk's hardware drivers stay out of a hub release; the face engine's packages
// (sharp, TF.js core and WASM backend, face-api and its weights) come in with photo enrolment.
import { builtinModules } from 'node:module';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

const BUILTINS = new Set(builtinModules);
/**
 * `from 'x'`, `import('x')`, `import 'x'` and `require('x')` where x is a bare specifier shaped like
 * an npm package name (lower case, optional scope): HTML in a template string (`name="from" value=`)
 * must not pass for an import.
 */
const BARE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]((?:node:)?(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*(?:\/[A-Za-z0-9._~/-]*)?)['"]/g;

/** The package a bare specifier names: `pg`, `@fastify/session` (not `pg/lib/x` or `node:fs`). */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  return BUILTINS.has(name) || name === '' ? null : name;
}

/** Every package imported by a .js file under `dir`. */
export async function importedPackages(dir: string): Promise<Set<string>> {
  const found = new Set<string>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries.filter((e) => e.isFile() && e.name.endsWith('.js'))) {
    const text = await readFile(join(entry.parentPath, entry.name), 'utf8');
    for (const match of text.matchAll(BARE_IMPORT)) {
      const name = packageOf(match[1] ?? '');
      if (name !== null) found.add(name);
    }
  }
  return found;
}

/** The folder `name` resolves to from `fromDir`, looking up to `root`; null when it is not installed. */
function resolvePackage(name: string, fromDir: string, root: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return null;
  }
}

interface PackageJson {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * The installed package folders (relative to `root`, `node_modules/...`) that `wanted` need,
 * transitively. A dependency that is not installed is left out only if it is optional or a peer
 * (pg-native for pg, say); a required one missing is an error, not a broken release.
 */
export async function packageClosure(root: string, wanted: Iterable<string>): Promise<string[]> {
  const done = new Set<string>();
  const queue: Array<{ name: string; from: string; required: boolean }> = [...wanted].map((name) => ({ name, from: root, required: true }));
  while (queue.length > 0) {
    const next = queue.shift()!;
    const dir = resolvePackage(next.name, next.from, root);
    if (dir === null) {
      if (next.required) throw new Error(`package ${next.name} (needed from ${relative(root, next.from) || '.'}) is not installed: run npm ci`);
      continue;
    }
    if (done.has(dir)) continue;
    done.add(dir);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const name of Object.keys(pkg.dependencies ?? {})) queue.push({ name, from: dir, required: true });
    for (const name of Object.keys({ ...pkg.optionalDependencies, ...pkg.peerDependencies })) queue.push({ name, from: dir, required: false });
  }
  // A package nested inside another is already in the archive with its parent's folder.
  const folders = [...done].map((dir) => relative(root, dir).split(sep).join('/')).sort();
  return folders.filter((folder) => !folders.some((other) => other !== folder && folder.startsWith(`${other}/`)));
}
