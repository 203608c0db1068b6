import type { ErrorObject } from 'ajv';

/** `/builders/0/host` → `builders[0].host`; the root is `(root)`. */
export function jsonPointerToPath(pointer: string, root = '(root)'): string {
  if (!pointer) return root;
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

/** One `path: reason` line per problem, in the words a person would use. */
export function formatAjvErrors(
  errors: ErrorObject[] | null | undefined,
  root = '(root)',
  unknownProperty = 'is not an allowed property',
): string[] {
  const lines = new Set<string>();
  for (const e of errors ?? []) {
    const at = jsonPointerToPath(e.instancePath, root);
    const join = (child: string) => (at === root ? child : `${at}.${child}`);
    switch (e.keyword) {
      case 'required':
        lines.add(`${join(String(e.params.missingProperty))}: is required`);
        break;
      case 'additionalProperties':
        lines.add(`${join(String(e.params.additionalProperty))}: ${unknownProperty}`);
        break;
      case 'enum':
        lines.add(
          `${at}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
        );
        break;
      case 'if':
        break; // the failing branch has its own, more precise error
      default:
        lines.add(`${at}: ${e.message ?? 'is invalid'}`);
    }
  }
  return [...lines];
}
