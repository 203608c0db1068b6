import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ResultsParseError } from '../errors/results-parse-error.js';
import { shortNote, type ParsedTest } from './parsed-test.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Every element that may repeat is a list, so one testcase and many read the same way.
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
  processEntities: true,
  parseTagValue: false,
  parseAttributeValue: false,
});

type Element = Record<string, unknown>;

/**
 * JUnit XML (`<testsuites>` or a bare `<testsuite>`, suites nested or not) → one result per
 * testcase, named `classname.name`: a `<failure>` is FAILED, an `<error>` ERROR, `<skipped>`
 * INFO (it ran nothing that could pass or fail), anything else PASSED.
 */
export function parseJunit(file: string, xml: string): ParsedTest[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new ResultsParseError(file, `not well-formed XML: line ${valid.err.line}: ${valid.err.msg}`);
  const doc = parser.parse(xml) as Element;
  const roots = [
    ...asList(doc.testsuites).flatMap((s) => asList((s as Element).testsuite)),
    ...asList(doc.testsuite),
  ];
  if (roots.length === 0)
    throw new ResultsParseError(file, 'has no <testsuites> or <testsuite> element: not JUnit XML');
  const out: ParsedTest[] = [];
  const walk = (suite: Element) => {
    for (const tc of asList(suite.testcase) as Element[]) out.push(testcase(file, suite, tc));
    for (const inner of asList(suite.testsuite) as Element[]) walk(inner);
  };
  for (const s of roots) walk(s as Element);
  return out;
}

function testcase(file: string, suite: Element, tc: Element): ParsedTest {
  const name = str(tc.name);
  if (!name) throw new ResultsParseError(file, `a <testcase> in suite "${str(suite.name)}" has no name`);
  const classname = str(tc.classname);
  const full = classname ? `${classname}.${name}` : name;
  const time = Number(str(tc.time));
  const duration = Number.isFinite(time) && time >= 0 && str(tc.time) !== '' ? { duration_s: time } : {};
  const failure = asList(tc.failure)[0];
  const error = asList(tc.error)[0];
  const skipped = asList(tc.skipped)[0];
  if (failure !== undefined)
    return { name: full, outcome: 'FAILED', note: detail(failure, 'failed'), ...duration };
  if (error !== undefined) return { name: full, outcome: 'ERROR', note: detail(error, 'error'), ...duration };
  if (skipped !== undefined)
    return { name: full, outcome: 'INFO', note: `skipped: ${detail(skipped, 'skipped')}`, ...duration };
  return { name: full, outcome: 'PASSED', ...duration };
}

function detail(el: unknown, fallback: string): string {
  if (typeof el === 'string') return shortNote(el) || fallback;
  const e = el as Element;
  return shortNote([str(e.message), str(e['#text'])].filter(Boolean).join(': ')) || fallback;
}

function asList(v: unknown): unknown[] {
  if (v === undefined || v === null || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}
