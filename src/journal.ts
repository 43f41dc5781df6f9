/**
 * The journal of one run: what it changed outside this machine, in the order
 * it happened. cli.ts creates one per run and hands it to the flow; the flow
 * records each change as soon as the server confirmed it; whatever ends the
 * run (an error, a signal, an unhandled rejection) prints it through
 * cli.ts's one exit path, so a user always learns what already exists and
 * that re-running the same command is safe.
 */

/** A binding the backend made: the cluster namespace it gave, on which backend. */
export interface BoundEntry {
  clusterID: string;
  clusterNamespace: string;
  host: string;
}

/** Objects applied to one server (n of total, in order). */
export interface AppliedEntry {
  server: string;
  total: number;
  objects: string[];
}

export class Journal {
  readonly bound: BoundEntry[] = [];
  /** `<cluster-namespace>/<name>` of each APIServiceExportRequest created (or reused). */
  readonly exportRequests: string[] = [];
  /** Namespaces created in a binding (create-ns), as the control plane names them. */
  readonly namespaces: string[] = [];
  /** Secrets written (bootstrap-env --write-secret): `<namespace>/<name> on <server>`. */
  readonly secrets: string[] = [];
  /** Provider kubeconfigs written as soon as their bind succeeded: clusterID → file. */
  readonly kubeconfigs = new Map<string, string>();
  private current: AppliedEntry | undefined;

  /** The provider kubeconfig of a bound cluster was written (so status and unbind can reach the binding). */
  recordKubeconfig(clusterID: string, file: string): void {
    this.kubeconfigs.set(clusterID, file);
  }

  /** A Secret holding the binding's kubeconfig and all.yaml exists (created, updated or unchanged). */
  recordSecret(namespacedName: string, server: string): void {
    this.secrets.push(`${namespacedName} on ${server}`);
  }

  /** The backend bound a cluster. */
  recordBound(entry: BoundEntry): void {
    this.bound.push({ ...entry });
  }

  /** An APIServiceExportRequest exists on the control plane. */
  recordExportRequest(namespacedName: string): void {
    this.exportRequests.push(namespacedName);
  }

  /** An APIServiceNamespace was created (or already existed) in the binding. */
  recordNamespace(name: string): void {
    this.namespaces.push(name);
  }

  /** An apply of `total` objects to `server` begins; the returned function records each object applied. */
  startApply(server: string, total: number): (what: string) => void {
    const entry: AppliedEntry = { server, total, objects: [] };
    this.current = entry;
    return (what) => {
      entry.objects.push(what);
    };
  }

  /** The apply under way (or the last one), if any. */
  get applied(): Readonly<AppliedEntry> | undefined {
    return this.current;
  }

  /** True when nothing outside this machine was changed. */
  get empty(): boolean {
    return (
      !this.bound.length &&
      !this.exportRequests.length &&
      !this.namespaces.length &&
      !this.secrets.length &&
      !this.current?.objects.length
    );
  }

  /**
   * The warnings the exit path prints when a run ends in failure. `summarised`:
   * the error already lists the bindings (a fleet's summary), so they are not
   * repeated. Namespaces are recorded but not printed: create-ns prints the
   * name on success, and its failures name the namespace themselves.
   */
  warnings(opts: { summarised?: boolean; rerunHelps?: boolean } = {}): string[] {
    const out: string[] = [];
    if (this.bound.length && !opts.summarised) {
      const made = this.exportRequests.length ? `; APIServiceExportRequest(s) ${this.exportRequests.join(', ')}` : '';
      const clusters = this.bound
        .map((b) => `${JSON.stringify(b.clusterID)} → namespace ${b.clusterNamespace} (backend ${b.host})`)
        .join(', ');
      const rerun =
        opts.rerunHelps === false
          ? 're-running the same command does not finish the binding until the error above is resolved'
          : 're-running the same command is safe and finishes the binding';
      out.push(`already done on the control plane: bound ${clusters}${made}; ${rerun}`);
      // The way back to the binding: its provider kubeconfig; when none was written and a re-run cannot
      // finish the binding, how to get one.
      for (const b of this.bound) {
        const kfg = this.kubeconfigs.get(b.clusterID);
        const id = JSON.stringify(b.clusterID);
        if (kfg) {
          out.push(
            `the provider kubeconfig of ${id} is ${kfg} (mode 0600): \`helper status --kubeconfig ${kfg}\` ` +
              `shows the binding, \`helper unbind --kubeconfig ${kfg}\` removes its export requests`,
          );
        } else if (opts.rerunHelps === false) {
          out.push(
            `no provider kubeconfig of ${id} was written (no --write-kubeconfig): to reach or remove the ` +
              'binding, run the same command with --write-kubeconfig FILE --no-wait (the backend binds the ' +
              'same clusterID ' +
              'again), then `helper unbind --kubeconfig FILE`',
          );
        }
      }
    }
    const a = this.current;
    if (a?.objects.length && a.objects.length >= a.total) {
      out.push(
        `all ${a.total} object(s) were applied to ${a.server} before the error; re-running the same command is safe`,
      );
    } else if (a?.objects.length) {
      out.push(
        `already applied to ${a.server}: ${a.objects.length} of ${a.total} object(s) (${a.objects.join(', ')}` +
          `); the other ${a.total - a.objects.length} were not; re-running the same command is safe and ` +
          `applies the rest`,
      );
    }
    return out;
  }
}
