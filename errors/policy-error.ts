import { SluiceError } from './sluice-error.js';

export interface PolicyProblem {
  file: string;
  /** The policy's id when it got far enough to have one. */
  id: string | null;
  /** Greenwave's wording, e.g. "Policy 'x': Attribute 'rules': Expected list of Rule objects". */
  reason: string;
}

/** Policy files the service refuses to start with; every bad document is listed. */
export class PolicyError extends SluiceError {
  readonly problems: PolicyProblem[];
  constructor(problems: PolicyProblem[]) {
    super(
      'POLICY_INVALID',
      `invalid gating policies:\n  ${problems.map((p) => `${p.file}: ${p.reason}`).join('\n  ')}`,
    );
    this.problems = problems;
  }
}
