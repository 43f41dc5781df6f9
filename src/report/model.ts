/**
 * The one report model of status, unbind and control-plane check: an item
 * per object (side, kind, name, namespace, verdict, detail), one text
 * formatter (one table style: a header row, four one-word columns and the
 * detail last), one JSON envelope, and one mapping from a report's verdict to the
 * error (and so the exit code) the command ends with after printing it.
 *
 * Every report's JSON is one envelope ({schemaVersion, kind, verdict, counts,
 * items, ...}; schemas/status.schema.json, unbind.schema.json,
 * control-plane-check.schema.json, fleet.schema.json); the report's own
 * `*Json` maps its items onto it.
 */
import { ClusterError, ExitCode, HelperError, type HelperErrorOptions } from '../errors.ts';

/** Which cluster an item is on. */
export type Side = 'control-plane' | 'app-cluster';

/** How the text names a side; also the label before a Kubernetes client's server (`control plane 1.2.3.4:6443`). */
export const SIDE_TEXT: Readonly<Record<Side, string>> = {
  'control-plane': 'control plane',
  'app-cluster': 'App Cluster',
};

/** One line of a report. */
export interface ReportItem<V extends string = string> {
  side: Side;
  kind: string;
  /** The object's name; '' for an item that is a kind of thing only (check's `Crossplane`); `*` for all of a kind. */
  name: string;
  namespace?: string | undefined;
  verdict: V;
  /** One line for humans; never a credential. */
  detail: string;
}

/** What every report has: an overall verdict and its items. */
export interface Report<V extends string = string, O extends string = string> {
  verdict: O;
  items: ReportItem<V>[];
}

/** `Kind ns/name`, `Kind name`, or `Kind` alone: how messages and the text name an item. */
export function itemId(i: Pick<ReportItem, 'kind' | 'name' | 'namespace'>): string {
  const name = `${i.namespace ? `${i.namespace}/` : ''}${i.name}`;
  return name ? `${i.kind} ${name}` : i.kind;
}

/** The server a client label names, without the side's label (`control plane 127.0.0.1:6443` → `127.0.0.1:6443`). */
export function serverOf(side: Side, client: { readonly server: string }): string {
  const prefix = `${SIDE_TEXT[side]} `;
  return client.server.startsWith(prefix) ? client.server.slice(prefix.length) : client.server;
}

/** How many items have each verdict, every verdict of `verdicts` present (0 when none). */
export function countVerdicts<V extends string>(
  verdicts: readonly V[],
  items: readonly { verdict: V }[],
): Record<V, number> {
  const counts = Object.fromEntries(verdicts.map((v) => [v, 0])) as Record<V, number>;
  for (const i of items) counts[i.verdict]++;
  return counts;
}

/** The widest line the text table aims at: a detail that would pass it goes on indented lines below its row. */
export const TABLE_WIDTH = 120;

/** The widest a column is padded to (a longer name shifts its own row only). */
const COLUMN_MAX = 40;

/** The header row of every table: five columns, one word each (a name is `ns/name`, `-` when there is none). */
export const TABLE_HEADER = ['VERDICT', 'SIDE', 'KIND', 'NAME', 'DETAIL'] as const;

/** An item's NAME column: `ns/name`, `name`, or `-` (a kind of thing only); never blank, never two words. */
export function nameColumn(i: Pick<ReportItem, 'name' | 'namespace'>): string {
  const name = `${i.namespace ? `${i.namespace}/` : ''}${i.name}`.replace(/\s+/g, '_');
  return name || '-';
}

/** Words of `text` in lines of at most `width` characters (a longer word stays whole on its own line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The one table of status, unbind and control-plane check: a header row,
 * then one row per item with the columns VERDICT SIDE KIND NAME DETAIL,
 * each of the first four one word (so `awk '$1 != "VERDICT" && /^[^ ]/'`
 * splits every row alike). A row whose detail would pass TABLE_WIDTH has
 * its detail on the lines below it, indented by four blanks and wrapped
 * (they start with a blank: `awk '/^[^ ]/'` skips them). No trailing blanks.
 */
export function formatTable(items: readonly ReportItem[], width = TABLE_WIDTH): string[] {
  // A verdict of two words (unbind's `would delete`, `not reached`) is one field: `would-delete`.
  const rows = items.map(
    (i) => [i.verdict.replace(/ /g, '-'), i.side, i.kind, nameColumn(i), i.detail.trim()] as const,
  );
  // A column is as wide as its widest value up to COLUMN_MAX; a longer value shifts the rest of its row only.
  const widths = [0, 1, 2, 3].map((c) =>
    Math.max(TABLE_HEADER[c]!.length, ...rows.map((r) => (r[c]!.length > COLUMN_MAX ? 0 : r[c]!.length))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .slice(0, 4)
      .map((c, n) => c.padEnd(widths[n]!))
      .join('  ');
  const lines = [`${line(TABLE_HEADER)}  ${TABLE_HEADER[4]}`];
  const indent = '    ';
  for (const r of rows) {
    const head = line(r);
    if (head.length + 2 + r[4].length <= width) lines.push(`${head}  ${r[4]}`.trimEnd());
    else {
      lines.push(head.trimEnd());
      for (const l of wrap(r[4], width - indent.length)) lines.push(`${indent}${l}`);
    }
  }
  return lines;
}

/**
 * The one JSON envelope of status, unbind, control-plane check and the fleet
 * summary: what the report is (schemaVersion, kind), its verdict, how many
 * items have each verdict, the items, then what the report adds.
 */
export interface Envelope<K extends string, O extends string, V extends string, I> {
  schemaVersion: number;
  kind: K;
  verdict: O;
  counts: Record<V, number>;
  items: I[];
}

/** An envelope with the report's own fields after its items. */
export function envelope<K extends string, O extends string, V extends string, I, X extends object>(
  head: Envelope<K, O, V, I>,
  extra: X,
): Envelope<K, O, V, I> & X {
  return { ...head, ...extra };
}

/** An item as every JSON envelope has it: side, kind, name, namespace when there is one, verdict, message. */
export function jsonItem<V extends string>(
  i: ReportItem<V>,
): { side: Side; kind: string; name: string; namespace?: string; verdict: V; message: string } {
  return {
    side: i.side,
    kind: i.kind,
    name: i.name,
    ...(i.namespace ? { namespace: i.namespace } : {}),
    verdict: i.verdict,
    message: i.detail,
  };
}

/** The one JSON formatter: a report's JSON shape, indented, one trailing newline. */
export function formatJson(shape: unknown): string {
  return `${JSON.stringify(shape, null, 2)}\n`;
}

/**
 * How a report's verdict ends the command (the report itself is on stdout):
 * pass (exit 0), degraded (11), missing (12), or refused: what the
 * kubeconfig may not read or do, or a cluster that is not as it must be (6).
 */
export type Gate = 'pass' | 'degraded' | 'missing' | 'refused';

/** The one verdict-to-exit mapping: the error a gate ends with (undefined: exit 0). */
export function gateError(
  gate: Gate,
  code: string,
  message: string,
  opts: HelperErrorOptions & { status?: number } = {},
): HelperError | undefined {
  switch (gate) {
    case 'pass':
      return undefined;
    case 'degraded':
      return new HelperError(code, message, ExitCode.degraded, opts);
    case 'missing':
      return new HelperError(code, message, ExitCode.missing, opts);
    case 'refused':
      return new ClusterError(code, message, opts);
  }
}
