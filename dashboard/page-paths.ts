/**
 * The dashboard's page addresses, in one place: mails, commit statuses, API answers and the pages'
 * own links all build them here, so a URL put in a mail or in Bodhi keeps working. Each part is
 * encoded on its own: NVRs, compose ids and module streams carry `:` and `/`.
 */
const part = encodeURIComponent;

export const PAGE_PATHS = {
  runs: (): string => '/',
  run: (runId: string): string => `/runs/${part(runId)}`,
  node: (nodeId: string): string => `/nodes/${part(nodeId)}`,
  subject: (subjectType: string, identifier: string): string =>
    `/subjects/${part(subjectType)}/${part(identifier)}`,
  decisionHistory: (subjectType: string, identifier: string): string =>
    `/subjects/${part(subjectType)}/${part(identifier)}/history`,
  update: (updateId: string): string => `/updates/${part(updateId)}`,
  results: (): string => '/results',
  result: (resultId: number): string => `/results/${resultId}`,
  waivers: (): string => '/waivers',
  operations: (): string => '/operations',
} as const;

/** A page's absolute URL under the server's public base (`server.publicUrl`, else its own URL). */
export function pageUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
