import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './paths.js';

/** One policy: koji builds of any Fedora need dist.rpmdeplint to go stable. */
export const RPMDEPLINT_STABLE = `--- !Policy
id: stable
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}
`;

/** A fresh policies folder holding `text` as one file; for `gating.policiesDir`. */
export function policiesDir(text: string): string {
  const dir = tempDir('sluice-policies-');
  writeFileSync(path.join(dir, 'policies.yaml'), text);
  return dir;
}
