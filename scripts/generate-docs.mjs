// Writes docs/api.md from the built service (npm run docs builds first).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_DOCS_FILE, generateApiDocs } from '../dist/service/api-docs.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, API_DOCS_FILE);
writeFileSync(file, await generateApiDocs());
console.log(`wrote ${path.relative(root, file)}`);
