/**
 * Shell-style globs. For file paths (`pathAware`): `*` and `?` stay within one path segment and
 * `**` spans segments (`src/**` matches everything under src, `**\/*.xml` any XML file). For
 * names (branches, repos): `*` matches anything, slashes included.
 */
export function globToRegExp(glob: string, pathAware: boolean): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (pathAware && glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += pathAware ? '[^/]*' : '.*';
    } else if (c === '?') re += pathAware ? '[^/]' : '.';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export function matchesAny(value: string, globs: readonly string[], pathAware: boolean): boolean {
  return globs.some((g) => globToRegExp(g, pathAware).test(value));
}
