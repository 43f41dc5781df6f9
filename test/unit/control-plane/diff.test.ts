/**
 * What apply would change, field by field: only what render sets counts,
 * named lists match by name, Secret values are compared but never shown,
 * and helper's label on an object it did not create is no difference.
 */
import t from 'tap';
import { asApplied, diffObject, formatDiffs } from '../../../src/control-plane/diff.ts';
import { MANAGED_BY, type K8sObject } from '../../../src/control-plane/render.ts';

const label = { [MANAGED_BY.key]: MANAGED_BY.value };
const deployment: K8sObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'b', namespace: 'bind', labels: { app: 'b', ...label } },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          { name: 'b', image: 'img:1', ports: [{ containerPort: 443 }] },
          { name: 'side', image: 's:1' },
        ],
      },
    },
  },
};
const clone = <T>(o: T): T => structuredClone(o);

t.test(
  'asApplied: the label stays off an object that exists without it; on one that has it or does not exist, it is sent',
  async (t) => {
    t.equal(asApplied(deployment, undefined), deployment);
    t.equal(asApplied(deployment, { metadata: { labels: label } }), deployment);
    t.same(asApplied(deployment, { metadata: {} }).metadata.labels, { app: 'b' });
    const onlyLabel: K8sObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bind', labels: label } };
    t.notOk('labels' in asApplied(onlyLabel, { metadata: { name: 'bind' } }).metadata, 'no empty labels map');
  },
);

t.test(
  "diffObject: absent is created; the cluster's defaults and status are no difference; a changed field is " +
    'named with both values',
  async (t) => {
    t.same(diffObject(deployment, undefined), { object: 'Deployment bind/b', created: true, fields: [] });
    const live = {
      ...clone(deployment),
      status: { readyReplicas: 1 },
      spec: { ...clone(deployment.spec as object), strategy: { type: 'Recreate' } },
    } as Record<string, unknown>;
    t.same(diffObject(deployment, live).fields, []);
    const changed = clone(live) as {
      spec: { replicas: number; template: { spec: { containers: Array<{ image: string; ports?: unknown }> } } };
    };
    changed.spec.replicas = 2;
    changed.spec.template.spec.containers.reverse();
    changed.spec.template.spec.containers[1]!.image = 'img:2';
    t.same(
      diffObject(deployment, changed as unknown as Record<string, unknown>).fields,
      ['spec.replicas: cluster 2, render 1', 'spec.template.spec.containers[b].image: cluster "img:2", render "img:1"'],
      'containers matched by name, not position',
    );
    const noSide = clone(live) as { spec: { template: { spec: { containers: unknown[] } } } };
    noSide.spec.template.spec.containers.pop();
    t.same(diffObject(deployment, noSide as unknown as Record<string, unknown>).fields, [
      'spec.template.spec.containers[side]: not in the cluster',
    ]);
  },
);

t.test(
  'a port 443 equals "443"; an unnamed list differs as a whole; the label missing on an unlabelled object is ' +
    'no difference',
  async (t) => {
    const svc: K8sObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'bind', labels: label },
      spec: { ports: [{ port: 443, targetPort: 9443 }], selector: { app: 'b' } },
    };
    t.same(
      diffObject(svc, {
        metadata: {},
        spec: { ports: [{ port: '443', targetPort: 9443, protocol: 'TCP' }], selector: { app: 'b' } },
      }).fields,
      [],
    );
    t.same(
      diffObject(svc, { metadata: {}, spec: { ports: [{ port: 80, targetPort: 9443 }], selector: { app: 'b' } } })
        .fields,
      ['spec.ports: cluster [{"port":80,"targetPort":9443}], render [{"port":443,"targetPort":9443}]'],
    );
    t.same(
      diffObject(svc, {
        metadata: { labels: { other: 'x' } },
        spec: { ports: [{ port: 443, targetPort: 9443 }], selector: {} },
      }).fields,
      ['spec.selector.app: not set in the cluster'],
    );
  },
);

t.test('Secret values are compared, never shown', async (t) => {
  const s: K8sObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'k', namespace: 'bind' },
    data: { password: 'bmV3LXNlY3JldA==' },
  };
  const d = diffObject(s, { metadata: {}, data: { password: 'b2xkLXNlY3JldA==' } });
  t.same(d.fields, ['data.password: differs']);
  t.notMatch(JSON.stringify(d), /bmV3|b2xk/);
});

t.test(
  'formatDiffs: + for what apply creates, ~ and one line per field for what it changes, nothing for what is the same',
  async (t) => {
    t.same(
      formatDiffs([
        { object: 'Secret bind/a', created: true, fields: [] },
        { object: 'Service bind/b', created: false, fields: [] },
        { object: 'Deployment bind/c', created: false, fields: ['spec.replicas: cluster 2, render 1'] },
      ]),
      [
        '+ Secret bind/a (not in the cluster: apply creates it)',
        '~ Deployment bind/c',
        '    spec.replicas: cluster 2, render 1',
      ],
    );
    t.same(formatDiffs([]), []);
  },
);
