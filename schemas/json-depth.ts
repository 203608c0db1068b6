/**
 * How deeply a JSON document from outside (a request body, a message from the bus) may nest.
 * JSON.parse itself copes with any depth, but what reads the value afterwards (ajv, the policy
 * reader, the mappers) recurses once per level: 10,000 levels of `[` in a body gave a 500 from
 * a stack overflow. Real bodies and Fedora CI messages nest under 10 levels.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `text`, read as JSON, opens more than `max` arrays and objects inside one another.
 * One pass over the characters, skipping strings; it does not check that `text` is valid JSON
 * (JSON.parse does that next), only that no valid reading of it is too deep.
 */
export function jsonTooDeep(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** The refusal, naming the limit; the same words over HTTP and on the dead-letter queue. */
export function jsonDepthMessage(max: number = MAX_JSON_DEPTH): string {
  return `JSON nested deeper than the limit of ${max} levels`;
}
