// `npm start`'s prestart: compiles only when a TypeScript source is newer than its output (or
// has none yet, as on a fresh clone), so that a start with nothing changed skips the 7-9 s of tsc.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
const outDir = path.join(root, tsconfig.compilerOptions.outDir);
const configTime = statSync(path.join(root, 'tsconfig.json')).mtimeMs;

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield full;
  }
}

function stale() {
  for (const folder of tsconfig.include) {
    for (const file of sources(path.join(root, folder))) {
      const out = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js');
      const built = mtime(out);
      if (built === null || built < mtime(file) || built < configTime) return path.relative(root, file);
    }
  }
  return null;
}

const why = stale();
if (why !== null) {
  const tsc = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  process.exit(tsc.status ?? 1);
}
