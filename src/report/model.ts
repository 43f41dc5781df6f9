/**
 * The one report model of status, unbind and control-plane check: an item
 * per object (side, kind, name, namespace, verdict, detail), one text
 * formatter (a table whose layout each report passes; issue 24 makes it one
 * style), one JSON formatter, and one mapping from a report's verdict to the
 * error (and so the exit code) the command ends with after printing it.
 *
 * Each report keeps its versioned JSON shape (schemas/status.schema.json,
 * schemas/unbind.schema.json, the check's {status, object, detail}); the
 * report's own `toJson` maps its items onto it.
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

/** The columns of the text table, per report (issue 24 unifies them). */
export interface TableLayout {
  /** Width the verdict is padded to. */
  verdictWidth: number;
  /** Between the verdict and the next column. */
  gap: string;
  /** A side column (`control plane`, `App Cluster`) after the verdict. */
  side: boolean;
  /** The least width of the object column. */
  minWidth: number;
  /** A header row: the titles of the verdict, object and detail columns. */
  header?: readonly [string, string, string] | undefined;
  /** Trailing blanks removed (an item without detail). */
  trim: boolean;
}

/** The items as an aligned table, one line per item (no trailing newline; the report adds its head and tail). */
export function formatTable(items: readonly ReportItem[], layout: TableLayout): string[] {
  const width = Math.max(layout.minWidth, ...items.map((i) => itemId(i).length));
  const row = (verdict: string, side: string | undefined, what: string, detail: string) => {
    const sideColumn = side === undefined ? '' : `${side.padEnd(13)} `;
    const line = `${verdict.padEnd(layout.verdictWidth)}${layout.gap}${sideColumn}${what.padEnd(width)}  ${detail}`;
    return layout.trim ? line.trimEnd() : line;
  };
  const lines = items.map((i) => row(i.verdict, layout.side ? SIDE_TEXT[i.side] : undefined, itemId(i), i.detail));
  if (layout.header) lines.unshift(row(layout.header[0], undefined, layout.header[1], layout.header[2]));
  return lines;
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
