// Local ESLint rules of esik (plain JS: ESLint loads them as they are).
// - esik/public-face: a folder with an index.ts is reached from outside only through that index.
// - esik/no-cycle: no import cycle between the project's files at run time (`import type` and
//   `export type` are erased by the compiler and order nothing, so they do not count).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** The .ts file an import of `spec` from `file` names, or null for packages and non-TS files. */
function targetOf(file, spec) {
  if (!spec.startsWith('.')) return null;
  const full = resolve(dirname(file), spec);
  for (const candidate of [full.replace(/\.js$/, '.ts'), full, `${full}.ts`, join(full, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Folders whose index.ts is a program's entry point (it runs when imported), not a module's face. */
const PROGRAMS = new Set([join(ROOT, 'device', 'cli')]);

/** The nearest folder at or above `file`'s folder (inside the project) that has an index.ts. */
function faceOf(file) {
  for (let dir = dirname(file); dir.startsWith(ROOT) && dir !== ROOT; dir = dirname(dir)) {
    if (PROGRAMS.has(dir)) return null;
    if (existsSync(join(dir, 'index.ts'))) return dir;
  }
  return null;
}

const inside = (file, dir) => file.startsWith(dir + sep);

const publicFace = {
  meta: { type: 'problem', messages: { internal: "'{{spec}}' reaches inside {{folder}}/ past its index.ts: import from '{{folder}}/index.js'" }, schema: [] },
  create(context) {
    const file = context.filename;
    const check = (node) => {
      const spec = node.source && typeof node.source.value === 'string' ? node.source.value : null;
      if (spec === null) return;
      const target = targetOf(file, spec);
      if (target === null) return;
      const face = faceOf(target);
      if (face === null || inside(file, face) || target === join(face, 'index.ts')) return;
      context.report({ node: node.source, messageId: 'internal', data: { spec, folder: relative(ROOT, face) } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

/** The project's import graph, built once per lint run from the sources' text. */
let graph = null;
const SOURCE_DIRS = ['device', 'biometric', 'display', 'sync', 'hub', 'protocol', 'lib'];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'public' && entry.name !== 'node_modules') walk(path, out);
    else if (entry.isFile() && entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function buildGraph() {
  const edges = new Map();
  for (const file of SOURCE_DIRS.flatMap((d) => walk(join(ROOT, d), []))) {
    const targets = new Set();
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = targetOf(file, match[1] ?? match[2]);
      if (target !== null) targets.add(target);
    }
    edges.set(file, targets);
  }
  // Tarjan's strongly connected components: an edge inside a component of two or more files is a cycle.
  const index = new Map();
  const low = new Map();
  const component = new Map();
  const stack = [];
  let counter = 0;
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (!component.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const members = [];
      let w;
      do {
        w = stack.pop();
        members.push(w);
      } while (w !== v);
      for (const m of members) component.set(m, members.length > 1 ? v : null);
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return { component };
}

const noCycle = {
  meta: { type: 'problem', messages: { cycle: "'{{spec}}' closes an import cycle ({{file}} and {{target}} import each other, directly or through others)" }, schema: [] },
  create(context) {
    graph ??= buildGraph();
    const file = context.filename;
    const check = (node) => {
      const spec = node.source && typeof node.source.value === 'string' ? node.source.value : null;
      if (spec === null || node.importKind === 'type' || node.exportKind === 'type') return;
      const target = targetOf(file, spec);
      if (target === null) return;
      const mine = graph.component.get(file);
      if (mine === null || mine === undefined || graph.component.get(target) !== mine) return;
      context.report({ node: node.source, messageId: 'cycle', data: { spec, file: relative(ROOT, file), target: relative(ROOT, target) } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

export default { rules: { 'public-face': publicFace, 'no-cycle': noCycle } };
