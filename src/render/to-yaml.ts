/**
 * Pure: objects → one multi-document YAML stream, as kubectl reads it. Each
 * document starts with a `---` line; the text ends with a newline and uses
 * LF only. Keys keep the order the objects were built in.
 *
 * Readers differ: kubectl (sigs.k8s.io/yaml on go-yaml) resolves plain
 * scalars much like YAML 1.1 plus Go number syntax, other tools use YAML 1.2.
 * A string is therefore quoted whenever a YAML 1.1 or 1.2 reader would take
 * it for anything else ("on", "no", "0123", "1e3", "0o17", "null", "~" ...).
 */
import { Document, Scalar, parseDocument, visit, type Tags } from 'yaml';

const STRINGIFY = { lineWidth: 0, minContentWidth: 0 } as const;

/** Serializes the objects as `---`-separated YAML documents that every common reader parses back to the same values. */
export function toYaml(objects: readonly object[]): string {
  return objects.map((obj) => `---\n${documentText(obj)}`).join('');
}

// Without the merge tag, a `<<` key is an ordinary string that the visitor below can quote.
const withoutMerge = (tags: Tags): Tags => tags.filter((tag) => (typeof tag === 'string' ? tag !== 'merge' : tag.tag !== 'tag:yaml.org,2002:merge'));

function documentText(obj: object): string {
  const doc = new Document(obj, { version: '1.1', customTags: withoutMerge, aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(key, node) {
      if (typeof node.value !== 'string') return;
      // A plain `<<` map key is a YAML 1.1 merge key, not a string.
      if ((key === 'key' && node.value === '<<') || isAmbiguous(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString(STRINGIFY);
}

// CRD schemas repeat the same short strings hundreds of times; parsing each once keeps rendering fast.
const seen = new Map<string, boolean>();

/** True if a YAML 1.1 or 1.2 reader would not read the plain scalar `s` back as the string `s`. */
function isAmbiguous(s: string): boolean {
  // Multi-line strings become block scalars, which every reader takes as strings.
  if (s.includes('\n')) return false;
  let hit = seen.get(s);
  if (hit === undefined) {
    hit = readsAsOther(s);
    if (s.length <= 256) seen.set(s, hit);
  }
  return hit;
}

function readsAsOther(s: string): boolean {
  for (const version of ['1.1', '1.2'] as const) {
    const doc = parseDocument(s, { version });
    if (doc.errors.length || doc.warnings.length) return true;
    try {
      if (doc.toJS() !== s) return true;
    } catch {
      return true; // e.g. "*ref", an alias without anchor
    }
  }
  return false;
}
