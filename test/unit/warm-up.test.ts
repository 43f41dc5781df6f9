/**
 * The code cache's training run: a whole bootstrap-env in process against
 * an undici MockAgent, every answer used, all.yaml complete. If it stopped
 * working, build:binary would fail (it checks the run); this says why sooner.
 */
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { warmUp } from '../../src/warm-up.ts';

t.test('a whole binding runs offline and yields all.yaml with both bindings', async (t) => {
  const all = await warmUp();
  const docs = parseAllDocuments(all).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
  t.same(
    docs
      .filter((d) => d.kind === 'APIServiceBinding')
      .map((d) => d.metadata.name)
      .sort(),
    ['postgresqlinstances.anynines.com', 'servicebindings.anynines.com'],
  );
  t.ok(
    docs.findIndex((d) => d.kind === 'CustomResourceDefinition') <
      docs.findIndex((d) => d.kind === 'APIServiceBinding'),
    'CRDs before what needs them',
  );
  t.ok(
    docs.some((d) => d.kind === 'Secret' && d.metadata.name === 'kubeconfig'),
    'the provider kubeconfig Secret',
  );
});
