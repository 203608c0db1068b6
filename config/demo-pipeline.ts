/**
 * The embedded default's pipeline: a change to the repo "demo" is built, unit-tested (JUnit),
 * functionally tested (STI results.yml + test.log), composed with the known-good set and
 * integration-tested, all on this machine with the local runner, in a few seconds. It stands in
 * for the Fedora stages (config/examples/fedora-ci.yaml has the real mock / compose / test
 * commands) and touches nothing outside each job's temporary directory. Only runs of the repo
 * "demo" start it: `sluice run demo main`; `sluice run demo fail-example` builds a variant whose
 * unit test fails (config/demo-policy.ts is the policy that gates both). Values are printed with `printf '%s'`: `echo` would
 * turn a `\n` in a branch name into a new line of the log (dash's echo reads escapes).
 */
export const DEMO_REPOS = [{ name: 'demo', branches: ['main', 'fail-example'] }];

export const DEMO_BUILDERS = [{ name: 'local', type: 'local', labels: ['local'], jobLimit: 4 }];

const onDemo = { repos: ['demo'] };

export const DEMO_JOBS = [
  {
    name: 'build',
    kind: 'build',
    on: { kind: 'checkout', state: 'available' },
    ...onDemo,
    command: [
      'set -eu',
      'mkdir -p pkg/usr/bin',
      "printf '#!/bin/sh\\necho hello from demo\\n' > pkg/usr/bin/demo",
      'tar -czf demo.tar.gz -C pkg .',
      "printf 'building demo for branch %s revision %s\\n' {{ branch }} {{ revision }}",
      // The NVR follows the branch, not a counter, so the README can name it: main builds
      // demo-1.0-1.fc41, fail-example builds demo-fail-example-1.0-1.fc41.
      'branch={{ branch }}',
      'if [ "$branch" = main ]; then name=demo; else name="demo-$(printf \'%s\' "$branch" | tr -c \'A-Za-z0-9._+-\' _)"; fi',
      'printf \'nvr=%s-1.0-1.fc41\\n\' "$name" >> "$SLUICE_DATA"',
    ].join('\n'),
    artifacts: ['*.tar.gz'],
    timeoutSeconds: 300,
    holdoffSeconds: 5,
    subject: { type: 'koji_build', item: '{{ data.nvr }}' },
  },
  {
    name: 'unit',
    kind: 'test',
    on: { kind: 'build', name: 'build', state: 'available', result: 'pass' },
    ...onDemo,
    command: [
      'set -eu',
      "printf 'unit tests of %s\\n' {{ parent.data.nvr }}",
      // Branches named fail-… break a test, so the tour can show a failing decision and a waiver.
      'branch={{ branch }}',
      'failure=',
      'case "$branch" in fail-*) failure=\'<failure message="exit status 1, expected 0"/>\' ;; esac',
      'cat > junit.xml <<XML',
      '<testsuites><testsuite name="demo" tests="2">',
      '<testcase classname="demo.cli" name="prints_hello" time="0.01"/>',
      '<testcase classname="demo.cli" name="exit_status" time="0.01">$failure</testcase>',
      '</testsuite></testsuites>',
      'XML',
    ].join('\n'),
    results: { parser: 'junit', files: ['junit.xml'] },
    timeoutSeconds: 300,
    subject: { type: 'koji_build', item: '{{ parent.data.nvr }}' },
    ci: { type: 'unit', category: 'functional' },
  },
  {
    name: 'functional',
    kind: 'test',
    on: { kind: 'build', name: 'build', state: 'available', result: 'pass' },
    ...onDemo,
    command: [
      'set -eu',
      'mkdir -p artifacts',
      'echo "PASS smoke" > artifacts/test.log',
      'echo "PASS install" >> artifacts/test.log',
      "printf 'results:\\n- {result: pass, test: smoke, logs: [smoke.log]}\\n- {result: pass, test: install}\\n' > artifacts/results.yml",
    ].join('\n'),
    results: { parser: 'sti' },
    artifacts: ['artifacts/*'],
    timeoutSeconds: 300,
    holdoffSeconds: 5,
    subject: { type: 'koji_build', item: '{{ parent.data.nvr }}' },
    ci: { type: 'tier0', category: 'functional' },
  },
  {
    name: 'compose',
    kind: 'compose',
    on: { kind: 'test', name: 'functional', state: 'available', result: 'pass' },
    ...onDemo,
    command: [
      'set -eu',
      'printf "%s\\n" {{ known_good }} > compose-packages.txt',
      'cat compose-packages.txt',
      'printf \'compose=Demo-%s.n.0\\n\' {{ run_id }} >> "$SLUICE_DATA"',
    ].join('\n'),
    artifacts: ['compose-packages.txt'],
    timeoutSeconds: 300,
    holdoffSeconds: 5,
    subject: { type: 'compose', item: 'Demo-{{ run_id }}.n.0' },
    knownGood: { release: 'fc41', decisionContext: 'bodhi_update_push_stable', productVersion: null },
  },
  {
    name: 'integration',
    kind: 'test',
    on: { kind: 'compose', name: 'compose', state: 'available', result: 'pass' },
    ...onDemo,
    command:
      "set -eu\nprintf 'integration tests on compose %s\\n' {{ parent.data.compose }}\ntest -n {{ parent.data.compose }}",
    timeoutSeconds: 300,
    subject: { type: 'compose', item: '{{ parent.data.compose }}' },
    ci: { type: 'integration', category: 'integration' },
  },
];
