import type { PipelineSettings } from './pipeline-types.js';

/**
 * The embedded defaults' policy: the demo pipeline's builds (koji_build `demo-…`) pass the
 * decision context "demo" when their unit and functional test jobs passed. It is what lets a
 * fresh clone reach a gating decision with no policy file written (README's tour). Loaded only
 * when no policies folder is configured and the demo pipeline is the one in use.
 */
export const DEMO_POLICY_FILE = 'embedded demo policy';

export const DEMO_POLICY_YAML = `--- !Policy
id: demo
product_versions: [fedora-*]
decision_context: demo
subject_type: koji_build
packages: [demo, demo-*]
rules:
  - !PassingTestCaseRule {test_case_name: sluice.unit.functional}
  - !PassingTestCaseRule {test_case_name: sluice.tier0.functional}
`;

/** True when the pipeline is the embedded demo's (its repo "demo", which no url backs). */
export function usesDemoPipeline(pipeline: PipelineSettings): boolean {
  return pipeline.repos.some((r) => r.name === 'demo' && r.url === null);
}
