import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { imageName, parseImageReference, pushInCiMessage } from '../../pipeline/image-push.js';

describe('image references', () => {
  test('as docker writes them: the first part is a registry only with a dot, a port, or localhost', () => {
    assert.deepEqual(parseImageReference('quay.io/fedora/fedora:41'), {
      registry: 'quay.io',
      repository: 'fedora/fedora',
      tag: '41',
      digest: null,
    });
    assert.deepEqual(parseImageReference('localhost:5000/app@sha256:abc123'), {
      registry: 'localhost:5000',
      repository: 'app',
      tag: null,
      digest: 'sha256:abc123',
    });
    assert.deepEqual(parseImageReference('library/ubuntu:24.04'), {
      registry: null,
      repository: 'library/ubuntu',
      tag: '24.04',
      digest: null,
    });
    assert.equal(parseImageReference('Not An Image'), null);
    assert.equal(
      imageName({ registry: 'quay.io', repository: 'a/b', tag: 'v1', digest: 'sha256:ff' }),
      'quay.io/a/b:v1@sha256:ff',
    );
  });

  test('a CI message names the image by its fields, else by its first full name; by NVR alone it has none', () => {
    assert.deepEqual(
      pushInCiMessage({
        artifact: {
          type: 'container-image',
          repository: 'fedora/httpd',
          tag: '2.4',
          digest: 'sha256:ab',
          registry_url: 'https://registry.fedoraproject.org/',
          issuer: 'osbs',
        },
      }),
      {
        registry: 'registry.fedoraproject.org',
        repository: 'fedora/httpd',
        tag: '2.4',
        digest: 'sha256:ab',
        actor: 'osbs',
        url: null,
        eventId: null,
        source: 'ci.container-image',
      },
    );
    assert.equal(
      pushInCiMessage({
        artifact: {
          type: 'container-image',
          full_names: ['candidate-registry.fedoraproject.org/f41/httpd:2.4'],
        },
      })?.repository,
      'f41/httpd',
    );
    assert.equal(
      pushInCiMessage({ artifact: { type: 'container-image', nvr: 'httpd-container-2.4-1' } }),
      null,
    );
  });
});
