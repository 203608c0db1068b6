/**
 * An NVR's parts: the name is everything before the last two dashes (`python-dateutil-2.9.0-1.fc41`
 * → python-dateutil, 2.9.0, 1.fc41). Null when there are fewer than two dashes.
 */
export function splitNvr(nvr: string): { name: string; version: string; release: string } | null {
  const parts = nvr.split('-');
  if (parts.length < 3) return null;
  return {
    name: parts.slice(0, -2).join('-'),
    version: parts[parts.length - 2]!,
    release: parts[parts.length - 1]!,
  };
}
