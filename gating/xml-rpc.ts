import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * XML-RPC (http://xmlrpc.com/spec.md) as Koji speaks it: Python's xmlrpc marshaller with
 * allow_none, so `<nil/>` and `<i8>` besides the spec's types. Written here on fast-xml-parser
 * rather than with an npm XML-RPC library: the maintained-looking ones (`xmlrpc`) have had no
 * release since 2016, and a client that makes one call needs little of them.
 */
export type XmlRpcValue =
  | string
  | number
  | boolean
  | null
  | Buffer
  | XmlRpcValue[]
  | { [name: string]: XmlRpcValue };

export class XmlRpcFault extends Error {
  constructor(
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(`${faultString} (code: ${faultCode})`);
    this.name = 'XmlRpcFault';
  }
}

/** An answer that is not XML-RPC (or not one Sluice will read). */
export class XmlRpcFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlRpcFormatError';
  }
}

const MAX_DEPTH = 64;
const I4_MIN = -(2 ** 31);
const I4_MAX = 2 ** 31 - 1;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** A `<methodCall>` body. */
export function encodeCall(method: string, params: readonly XmlRpcValue[]): string {
  const body = params.map((p) => `<param>${encodeValue(p, 0)}</param>`).join('');
  return `<?xml version="1.0"?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params>${body}</params></methodCall>\n`;
}

function encodeValue(v: XmlRpcValue, depth: number): string {
  if (depth > MAX_DEPTH) throw new Error('XML-RPC value nested too deep');
  if (v === null) return '<value><nil/></value>';
  if (typeof v === 'string') return `<value><string>${escapeXml(v)}</string></value>`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === 'number') {
    if (Number.isInteger(v))
      return v >= I4_MIN && v <= I4_MAX ? `<value><int>${v}</int></value>` : `<value><i8>${v}</i8></value>`;
    if (!Number.isFinite(v)) throw new Error(`XML-RPC has no ${v}`);
    return `<value><double>${v}</double></value>`;
  }
  if (Buffer.isBuffer(v)) return `<value><base64>${v.toString('base64')}</base64></value>`;
  if (Array.isArray(v))
    return `<value><array><data>${v.map((x) => encodeValue(x, depth + 1)).join('')}</data></array></value>`;
  const members = Object.entries(v).map(
    ([k, x]) => `<member><name>${escapeXml(k)}</name>${encodeValue(x, depth + 1)}</member>`,
  );
  return `<value><struct>${members.join('')}</struct></value>`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

type Node = { [tag: string]: Node[] | string };

/** A `<methodResponse>`: its value, or an XmlRpcFault thrown; XmlRpcFormatError for anything else. */
export function decodeResponse(xml: string): XmlRpcValue {
  // Entity definitions are refused outright, as Koji's own client does (defusedxml).
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new XmlRpcFormatError('the answer declares a DTD or entities');
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new XmlRpcFormatError(`not well-formed XML: line ${valid.err.line}: ${valid.err.msg}`);
  let doc: Node[];
  try {
    doc = parser.parse(xml) as Node[];
  } catch (err) {
    // The parser's own limits (nesting, entity expansion).
    throw new XmlRpcFormatError((err as Error).message);
  }
  const root = elements(doc);
  if (root.length !== 1 || root[0]!.tag !== 'methodResponse')
    throw new XmlRpcFormatError('no <methodResponse> element');
  const [top] = only(root[0]!.children, 'methodResponse');
  if (top.tag === 'fault') {
    const fault = decodeValue(single(top.children, 'value', 'fault'), 0);
    if (!isStruct(fault) || typeof fault.faultCode !== 'number' || typeof fault.faultString !== 'string')
      throw new XmlRpcFormatError('a <fault> without faultCode and faultString');
    throw new XmlRpcFault(fault.faultCode, fault.faultString);
  }
  if (top.tag !== 'params') throw new XmlRpcFormatError(`<${top.tag}> where <params> or <fault> belongs`);
  const param = single(top.children, 'param', 'params');
  return decodeValue(single(param.children, 'value', 'param'), 0);
}

interface Element {
  tag: string;
  children: Node[];
}

function isStruct(v: XmlRpcValue): v is { [name: string]: XmlRpcValue } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** The element children; whitespace between them is layout, any other text is an error. */
function elements(nodes: Node[]): Element[] {
  const out: Element[] = [];
  for (const n of nodes) {
    const tag = Object.keys(n).find((k) => k !== ':@');
    if (tag === undefined) continue;
    if (tag === '#text') {
      if (String(n[tag]).trim() !== '')
        throw new XmlRpcFormatError(`unexpected text "${String(n[tag]).trim().slice(0, 40)}"`);
      continue;
    }
    out.push({ tag, children: n[tag] as Node[] });
  }
  return out;
}

function text(nodes: Node[]): string {
  let s = '';
  for (const n of nodes) {
    if ('#text' in n) s += String(n['#text']);
    else throw new XmlRpcFormatError(`<${Object.keys(n)[0]}> inside a scalar`);
  }
  return s;
}

function only(nodes: Node[], parent: string): [Element] {
  const els = elements(nodes);
  if (els.length !== 1)
    throw new XmlRpcFormatError(`<${parent}> must hold exactly one element, not ${els.length}`);
  return [els[0]!];
}

function single(nodes: Node[], tag: string, parent: string): Element {
  const [el] = only(nodes, parent);
  if (el.tag !== tag) throw new XmlRpcFormatError(`<${el.tag}> where <${tag}> belongs in <${parent}>`);
  return el;
}

function decodeValue(value: Element, depth: number): XmlRpcValue {
  if (depth > MAX_DEPTH) throw new XmlRpcFormatError(`values nested deeper than ${MAX_DEPTH}`);
  // A <value> with no type element is a string (the spec's default), spaces and all.
  if (value.children.every((n) => '#text' in n)) return text(value.children);
  const els = elements(value.children);
  if (els.length > 1) throw new XmlRpcFormatError('a <value> holding more than one element');
  const { tag, children } = els[0]!;
  switch (tag) {
    case 'string':
      return text(children);
    case 'int':
    case 'i4':
    case 'i8': {
      const s = text(children).trim();
      if (!/^[+-]?\d+$/.test(s))
        throw new XmlRpcFormatError(`<${tag}>${s.slice(0, 40)}</${tag}> is not an integer`);
      return Number(s);
    }
    case 'double': {
      const s = text(children).trim();
      const n = Number(s);
      if (s === '' || !Number.isFinite(n))
        throw new XmlRpcFormatError(`<double>${s.slice(0, 40)}</double> is not a number`);
      return n;
    }
    case 'boolean': {
      const s = text(children).trim();
      if (s !== '0' && s !== '1')
        throw new XmlRpcFormatError(`<boolean>${s.slice(0, 40)}</boolean> is not 0 or 1`);
      return s === '1';
    }
    case 'nil':
      return null;
    case 'dateTime.iso8601':
      return text(children).trim();
    case 'base64':
      return Buffer.from(text(children).replace(/\s+/g, ''), 'base64');
    case 'array': {
      const data = single(children, 'data', 'array');
      return elements(data.children).map((el) => {
        if (el.tag !== 'value') throw new XmlRpcFormatError(`<${el.tag}> where <value> belongs in <data>`);
        return decodeValue(el, depth + 1);
      });
    }
    case 'struct': {
      const out: { [name: string]: XmlRpcValue } = {};
      for (const member of elements(children)) {
        if (member.tag !== 'member')
          throw new XmlRpcFormatError(`<${member.tag}> where <member> belongs in <struct>`);
        const parts = elements(member.children);
        const name = parts.find((p) => p.tag === 'name');
        const v = parts.find((p) => p.tag === 'value');
        if (!name || !v || parts.length !== 2)
          throw new XmlRpcFormatError('a <member> needs one <name> and one <value>');
        // defineProperty: a member named __proto__ is data, not the object's prototype.
        Object.defineProperty(out, text(name.children), {
          value: decodeValue(v, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    default:
      throw new XmlRpcFormatError(`unknown XML-RPC type <${tag}>`);
  }
}
