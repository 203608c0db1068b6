import { migrate } from '../db/migrate.js';
import type { Db } from '../db/open-database.js';
import { ResultsStore } from '../db/results-store.js';

export interface GenerateOptions {
  /** Builds tested (distinct `item` values). */
  subjects?: number;
  testcasesPerSubject?: number;
  /** Times each build is tested (pipeline re-runs); each run is one group. */
  runs?: number;
  /** Results per transaction. */
  batchSize?: number;
  /** Same seed, same data. */
  seed?: number;
  /** Submit times spread evenly over [start, start + spanDays) in epoch ms. */
  start?: number;
  spanDays?: number;
}

export interface GenerateReport {
  results: number;
  dataRows: number;
  groups: number;
  testcases: number;
  ms: number;
  /** An item that exists, for benchmarks to query. */
  sampleItem: string;
  testcaseNames: string[];
}

const TESTCASES = [
  'fedora-ci.koji-build.tier0.functional',
  'fedora-ci.koji-build.tier1.functional',
  'fedora-ci.koji-build.tier2.functional',
  'fedora-ci.koji-build.rpminspect.static-analysis',
  'fedora-ci.koji-build.rpminspect.dynamic-analysis',
  'fedora-ci.koji-build.rpmdeplint.functional',
  'fedora-ci.koji-build.installability.functional',
  'fedora-ci.koji-build.rpmlint.static-analysis',
  'fedora-ci.koji-build.fmf.functional',
  'fedora-ci.koji-build.tmt.functional',
  'fedora-ci.koji-build.license-validation.static-analysis',
  'fedora-ci.koji-build.abicheck.functional',
  'fedora-ci.koji-build.annocheck.static-analysis',
  'fedora-ci.koji-build.build-reproducibility.functional',
  'fedora-ci.koji-build.fedora-review.static-analysis',
  'fedora-ci.koji-build.package-review.static-analysis',
  'dist.rpmdeplint',
  'dist.abicheck',
  'dist.rpmlint',
  'dist.upgradepath',
];
const ARCHES = ['x86_64', 'aarch64'];

/** The item of subject `i`: a Koji build NVR such as pkg123-4.5-2.fc42. */
export function itemOf(i: number): string {
  return `pkg${i}-${1 + (i % 7)}.${i % 13}-${1 + (i % 3)}.fc${42 + (i % 2)}`;
}

/**
 * Fills a results store with Fedora-CI-like results, fast: straight SQL in batches (one
 * transaction per `batchSize` results), no HTTP, no outbox. subjects × testcasesPerSubject ×
 * runs results; each has item (an NVR) and type koji_build, functional tests also scenario and
 * arch (alternating per run); each run of a subject is one group. Times increase with ids, as
 * they would in a live store.
 */
export function generateResults(target: ResultsStore | Db, options: GenerateOptions = {}): GenerateReport {
  const {
    subjects = 10_000,
    testcasesPerSubject = 20,
    runs = 5,
    batchSize = 10_000,
    seed = 1,
    start = Date.UTC(2025, 0, 1),
    spanDays = 365,
  } = options;
  const db = target instanceof ResultsStore ? target.database : target;
  migrate(db);
  const began = performance.now();
  const random = mulberry32(seed);

  const names = Array.from(
    { length: testcasesPerSubject },
    (_, i) => TESTCASES[i] ?? `fedora-ci.koji-build.extra-${i}.functional`,
  );
  const upsert = db.prepare(
    'INSERT INTO testcases (name, ref_url) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET name = name RETURNING id',
  );
  const testcaseIds = db.transaction(() =>
    names.map(
      (n) => (upsert.get(n, `https://docs.fedoraproject.org/en-US/ci/tests/${n}/`) as { id: number }).id,
    ),
  )();

  const insertResult = db.prepare(
    'INSERT INTO results (id, testcase_id, outcome, note, ref_url, submit_time) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertData = db.prepare('INSERT INTO result_data (result_id, seq, key, value) VALUES (?, ?, ?, ?)');
  const insertGroup = db.prepare('INSERT INTO groups (id, uuid, description, ref_url) VALUES (?, ?, ?, ?)');
  const link = db.prepare('INSERT INTO result_groups (result_id, group_id) VALUES (?, ?)');
  let resultId = (db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM results').get() as { n: number }).n;
  let groupId = (db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM groups').get() as { n: number }).n;

  const total = subjects * testcasesPerSubject * runs;
  const step = (spanDays * 86_400_000) / Math.max(total, 1);
  let dataRows = 0;
  let groups = 0;
  let pending: Array<() => void> = [];
  const flush = db.transaction((work: Array<() => void>) => {
    for (const w of work) w();
  });

  // Runs outermost: every build is tested once, then re-tested, so time grows with id.
  for (let run = 0; run < runs; run++) {
    for (let s = 0; s < subjects; s++) {
      const item = itemOf(s);
      const gid = ++groupId;
      const uuid = `00000000-0000-4000-8000-${gid.toString(16).padStart(12, '0')}`;
      const arch = ARCHES[run % ARCHES.length]!;
      pending.push(() =>
        insertGroup.run(
          gid,
          uuid,
          `fedora-ci pipeline run for ${item}`,
          `https://jenkins.example.org/job/fedora-ci/${gid}/`,
        ),
      );
      groups++;
      for (let t = 0; t < testcasesPerSubject; t++) {
        const id = ++resultId;
        const time = Math.floor(start + (id - 1) * step);
        const outcome = pickOutcome(random());
        const name = names[t]!;
        const functional = name.endsWith('.functional');
        const tcId = testcaseIds[t]!;
        pending.push(() => {
          insertResult.run(
            id,
            tcId,
            outcome,
            outcome === 'PASSED' ? null : `${name} ${outcome.toLowerCase()}`,
            `https://jenkins.example.org/job/${name}/${id}/`,
            time,
          );
          insertData.run(id, 0, 'item', item);
          insertData.run(id, 1, 'type', 'koji_build');
          if (functional) {
            insertData.run(id, 2, 'scenario', `fedora.rawhide.${arch}.64bit`);
            insertData.run(id, 3, 'arch', arch);
          }
          link.run(id, gid);
        });
        dataRows += functional ? 4 : 2;
        if (pending.length >= batchSize) {
          flush(pending);
          pending = [];
        }
      }
    }
  }
  flush(pending);
  return {
    results: total,
    dataRows,
    groups,
    testcases: names.length,
    ms: Math.round(performance.now() - began),
    sampleItem: itemOf(Math.floor(subjects / 2)),
    testcaseNames: names,
  };
}

function pickOutcome(x: number): string {
  if (x < 0.85) return 'PASSED';
  if (x < 0.93) return 'FAILED';
  if (x < 0.96) return 'NEEDS_INSPECTION';
  if (x < 0.98) return 'INFO';
  return 'ERROR';
}

/** A small seeded PRNG, so that a benchmark's data is the same run after run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
