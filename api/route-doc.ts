import type { TAGS } from './http-server.js';

/**
 * Documentation-only route options for a route that parses its input itself (the ResultsDB and
 * WaiverDB dialects, whose refusals must read as those services' do): a summary and a tag for the
 * OpenAPI document and docs/api.md. fastify validates nothing with these keys.
 */
export function doc(summary: string, tag: (typeof TAGS)[number], description?: string) {
  return { schema: { summary, tags: [tag], ...(description ? { description } : {}) } };
}
