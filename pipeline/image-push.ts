import { defineTopic } from '../schemas/topic-contract.js';

/**
 * A container image pushed to a registry: what a run on it is about. The run's subject is the
 * image: its repository (with the registry's host when known), the tag it was pushed under and
 * its manifest digest; either of tag and digest may be missing (a push by digest has no tag).
 */
export interface ImagePush {
  registry: string | null;
  repository: string;
  tag: string | null;
  digest: string | null;
  /** Who pushed it, when the registry's authorization knew. */
  actor: string | null;
  /** Where the manifest can be fetched. */
  url: string | null;
  /** A registry event's id: the same push delivered again is recognised by it. */
  eventId: string | null;
  source: 'registry' | 'ci.container-image';
}

/**
 * Manifests, not layers: the registry also announces each blob of a push, but only the manifest
 * (or the index of a multi-arch image) makes an image a tag points at.
 */
const MANIFEST_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
]);

export interface RegistryEvent {
  id?: string;
  action?: string;
  target?: { mediaType?: string; digest?: string; repository?: string; url?: string; tag?: string };
  request?: { host?: string };
  actor?: { name?: string };
}

/** A registry's notification envelope (schemas/messages/registry.notification.json). */
export interface RegistryEnvelope {
  events: RegistryEvent[];
}

export const REGISTRY_NOTIFICATION = defineTopic<RegistryEnvelope>()('registry.notification');

/**
 * The pushes in a Docker Distribution (CNCF Distribution) notification envelope, as its
 * docs/content/about/notifications.md describes it (`{"events": [...]}`, media type
 * application/vnd.docker.distribution.events.v1+json, v2 since distribution 3): each `push` of a
 * manifest; pulls, deletes, mounts and layer pushes start nothing. The body has been checked
 * against schemas/messages/registry.notification.json.
 */
export function pushesInRegistryEnvelope(body: RegistryEnvelope): ImagePush[] {
  const events = body.events;
  return events
    .filter((e) => e.action === 'push' && MANIFEST_TYPES.has(e.target?.mediaType ?? ''))
    .map((e) => ({
      registry: e.request?.host || null,
      repository: e.target!.repository!,
      tag: e.target?.tag || null,
      digest: e.target?.digest || null,
      actor: e.actor?.name || null,
      url: e.target?.url || null,
      eventId: e.id || null,
      source: 'registry' as const,
    }));
}

/**
 * A Fedora CI `ci.container-image.build.complete` (or `ci.redhat-container-image.…`) message: the
 * image a build made, by repository and digest (the artifact of
 * schemas/messages/ci-artifact-container-image.json; its registry_url names the registry). An
 * artifact known only by NVR or full names has no repository to run on: null.
 */
export function pushInCiMessage(body: unknown): ImagePush | null {
  const a = (body as { artifact: Record<string, unknown> }).artifact;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);
  let repository = str(a.repository);
  let tag = str(a.tag);
  let digest = str(a.digest);
  let registry =
    str(a.registry_url)
      ?.replace(/^[a-z]+:\/\//, '')
      .replace(/\/+$/, '') ?? null;
  // A full name (registry/repo:tag or @digest) says all of it when the fields do not.
  const full = Array.isArray(a.full_names) ? str(a.full_names[0]) : null;
  if (!repository && full) {
    const ref = parseImageReference(full);
    if (ref) ({ registry, repository, tag, digest } = { ...ref, registry: ref.registry ?? registry });
  }
  if (!repository) return null;
  const issuer = str(a.issuer);
  return {
    registry,
    repository,
    tag,
    digest,
    actor: issuer,
    url: null,
    eventId: null,
    source: 'ci.container-image',
  };
}

/** `[registry/]repository[:tag][@digest]`, as docker and podman write an image reference. */
export function parseImageReference(
  ref: string,
): { registry: string | null; repository: string; tag: string | null; digest: string | null } | null {
  const m =
    /^(?:([a-z0-9.-]+(?::\d+)?|localhost)\/)?([a-z0-9._/-]+?)(?::([\w][\w.-]{0,127}))?(?:@([a-z0-9]+:[a-fA-F0-9]+))?$/.exec(
      ref,
    );
  if (!m) return null;
  // Docker's rule: the first part is a registry only when it has a dot or a port, or is localhost.
  const first = m[1];
  const isRegistry =
    first !== undefined && (first.includes('.') || first.includes(':') || first === 'localhost');
  return {
    registry: isRegistry ? first : null,
    repository: isRegistry || first === undefined ? m[2]! : `${first}/${m[2]}`,
    tag: m[3] ?? null,
    digest: m[4] ?? null,
  };
}

/** The image as people write it: `registry/repository:tag@digest`. */
export function imageName(p: Pick<ImagePush, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  return `${p.registry ? `${p.registry}/` : ''}${p.repository}${p.tag ? `:${p.tag}` : ''}${p.digest ? `@${p.digest}` : ''}`;
}
