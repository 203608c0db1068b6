/** What one WaiverDB filter selects (GET /waivers/ parameters, or one entry of +filtered's `filters`). */
export interface WaiverFilter {
  subjectType?: string;
  subjectIdentifier?: string;
  testcase?: string;
  scenario?: string;
  productVersion?: string;
  username?: string;
  proxiedBy?: string;
  /** Inclusive bounds on the waiver's timestamp, epoch milliseconds. */
  since: { start?: number; end?: number };
}

/** GET /waivers/: one filter, and whether waivers a newer one replaced are wanted too. */
export interface WaiversListQuery {
  filter: WaiverFilter;
  includeObsolete: boolean;
  /** From 1, as WaiverDB counts. */
  page: number;
  limit: number;
}

/** POST /waivers/+filtered: any of the filters (OR), each of its criteria (AND). */
export interface FilteredWaiversQuery {
  filters: WaiverFilter[];
  includeObsolete: boolean;
}
