import type { WaiverJson, WaiverSource } from '../../gating/waivers.js';

/** Waivers kept in memory, for decision tests; the service's own waiver store answers the same question. */
export class MemoryWaivers implements WaiverSource {
  private readonly waivers: WaiverJson[] = [];
  private nextId = 1;

  /** Stores a waiver as WaiverDB would print it; `timestamp` defaults to now. */
  add(
    w: Pick<WaiverJson, 'subject_type' | 'subject_identifier' | 'testcase' | 'product_version'> &
      Partial<WaiverJson>,
  ): WaiverJson {
    const stored: WaiverJson = {
      scenario: null,
      waived: true,
      comment: 'waived in a test',
      username: 'alice',
      proxied_by: null,
      timestamp: `${new Date().toISOString().slice(0, 23)}000`,
      ...w,
      id: this.nextId++,
    };
    this.waivers.push(stored);
    return stored;
  }

  forSubjects(
    subjects: Array<{ type: string; identifier: string }>,
    options: { productVersions?: string[]; before?: number },
  ): WaiverJson[] {
    return this.waivers.filter(
      (w) =>
        subjects.some((s) => s.type === w.subject_type && s.identifier === w.subject_identifier) &&
        (!options.productVersions || options.productVersions.includes(w.product_version)) &&
        (options.before === undefined || Date.parse(`${w.timestamp}Z`) <= options.before),
    );
  }
}
