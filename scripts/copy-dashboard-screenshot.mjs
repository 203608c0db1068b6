#!/usr/bin/env node
// Copies the subject page's screenshot, made by the dashboard's browser test, to docs/ where the
// README shows it. Run the test first (npm run docs:screenshot does both).
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'test-output', 'screenshots', 'subject.png');
const to = path.join(root, 'docs', 'dashboard-subject.png');
if (!existsSync(from)) {
  console.error(
    `${from} is missing: run the dashboard's browser test first (tests/integration/dashboard-pages.test.ts)`,
  );
  process.exit(1);
}
copyFileSync(from, to);
console.log(`copied ${path.relative(root, from)} to ${path.relative(root, to)}`);
