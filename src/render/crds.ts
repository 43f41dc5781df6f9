/**
 * Pure: the klutch.anynines.com/v1alpha1 CRDs of klutchio v1.4.0
 * (bind/deploy/crd/) and the APIServiceExportTemplate CRD of its example
 * backend (bind/contrib/deploy/crd/), built from our own definitions of their
 * OpenAPI schemas. Every call returns fresh objects, so callers may mutate
 * them and the YAML writer never sees shared references.
 *
 * Structurally equivalent to upstream v1.4.0: names, scope, versions,
 * served/storage, categories, short names, printer columns, status
 * subresource, types, required fields, enums, patterns, min lengths,
 * defaults, list-map markers and CEL rules (including their messages) are the
 * same. Intended differences:
 *  - descriptions are our own, shorter wording, and not on every field;
 *  - no `controller-gen.kubebuilder.io/version` annotation and no
 *    `creationTimestamp: null` in metadata (generator noise);
 *  - upstream oddities kept as they are, because the API server and kubectl
 *    see them: the APIServiceBinding "Resources" column points at a malformed
 *    annotation path that never matches (so it is always empty), the
 *    APIServiceExport object-level name rule carries the message
 *    "informerScope is immutable", and condition `severity` has no enum.
 */
import { API_GROUP_PATTERN, RESOURCE_PATTERN } from '../validate/names.ts';

type Schema = Record<string, unknown>;

export const KLUTCH_GROUP = 'klutch.anynines.com';
const VERSION = 'v1alpha1';
const CATEGORY = 'kube-bindings';

function withDescription(description: string | undefined, rest: Schema): Schema {
  return description ? { description, ...rest } : rest;
}

const string = (description?: string, extra: Schema = {}): Schema =>
  withDescription(description, { type: 'string', ...extra });
const boolean = (description?: string, extra: Schema = {}): Schema =>
  withDescription(description, { type: 'boolean', ...extra });
const stringList = (description?: string, extra: Schema = {}): Schema =>
  withDescription(description, { type: 'array', items: { type: 'string' }, ...extra });
const object = (description: string | undefined, properties: Record<string, Schema>, extra: Schema = {}): Schema =>
  withDescription(description, { type: 'object', properties, ...extra });
const array = (description: string | undefined, items: Schema, extra: Schema = {}): Schema =>
  withDescription(description, { type: 'array', items, ...extra });
/** An object whose content the API server keeps as is. */
const freeform = (description: string, extra: Schema = {}): Schema =>
  withDescription(description, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...extra });
const immutable = (message: string): Schema => ({ 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message }] });

const groupField = (): Schema =>
  string('API group; "" is the core group.', { default: '', pattern: API_GROUP_PATTERN });
const resourceField = (): Schema => string('Plural resource name.', { pattern: RESOURCE_PATTERN });

/** Labels or annotations matched by key pattern (wildcards allowed). */
const keyPatterns = (description: string): Schema =>
  array(description, { type: 'object', properties: { pattern: { type: 'string' } } });

/** The claim shared by export requests, exports and templates; bindings add the consumer's decision (`state`). */
function permissionClaim(withState: boolean): Schema {
  const properties: Record<string, Schema> = {
    group: groupField(),
    resource: string('Plural name of the claimed resource.', { pattern: RESOURCE_PATTERN }),
    version: string('Version of the claimed resource.', { minLength: 1 }),
    selector: object('Which objects are claimed; unset claims all objects in all namespaces.', {
      names: stringList('Object names; "*" means all.', { default: ['*'] }),
      namespaces: stringList('Namespaces; "*" means all, [] for cluster-scoped resources.', { default: ['*'] }),
      labelSelectors: array('Label selectors; an object matching any of them is claimed.', {
        type: 'object',
        additionalProperties: { type: 'string' },
      }),
      fieldSelectors: stringList('Field selectors.'),
      owner: string('Only objects owned by this side; unset means both.', { enum: ['Provider', 'Consumer'] }),
    }),
    required: boolean('Whether the binding fails when this claim is rejected.'),
    read: object('Labels and annotations the provider may read.', {
      labels: keyPatterns('Labels read from consumer-owned objects.'),
      labelsOnProviderOwnedObjects: keyPatterns('Labels read from provider-owned objects.'),
      annotations: keyPatterns('Annotations read from consumer-owned objects.'),
      overrideAnnotations: keyPatterns('Annotations read from provider-owned objects.'),
    }),
    create: object('Whether provider objects are created on the consumer side (owner Provider only).', {
      replaceExisting: boolean('Replace a conflicting consumer-owned object.'),
    }),
    onConflict: object('How conflicts on the consumer side are resolved.', {
      recreateWhenConsumerSideDeleted: boolean('Recreate a synced object the consumer deleted.', { default: true }),
    }),
    autoAdopt: boolean('The provider adopts objects the consumer creates; excludes autoDonate.'),
    autoDonate: boolean('The consumer owns objects the provider creates; excludes autoAdopt.'),
    update: object('Which updates on the consumer side are claimed.', {
      fields: stringList('JSON paths the provider controls.'),
      preserving: stringList('JSON paths the consumer keeps controlling.'),
      alwaysRecreate: boolean('Delete and recreate instead of updating.'),
      labels: keyPatterns('Labels synced to provider-owned objects.'),
      labelsOnConsumerOwnedObjects: keyPatterns('Labels synced to consumer-owned objects.'),
      annotations: keyPatterns('Annotations synced to provider-owned objects.'),
      annotationsOnConsumerOwnedObjects: keyPatterns('Annotations synced to consumer-owned objects.'),
    }),
  };
  if (withState) properties.state = string("The consumer's decision.", { enum: ['Accepted', 'Rejected'] });
  return object(
    withState
      ? 'A permission claim and whether the consumer accepted it.'
      : 'Access to objects of a group/version/resource the provider asks for.',
    properties,
    {
      required: withState ? ['resource', 'state', 'version'] : ['resource', 'version'],
      'x-kubernetes-validations': [
        {
          rule: '!(has(self.autoDonate) && self.autoDonate && has(self.autoAdopt) && self.autoAdopt)',
          message: 'donate and adopt are mutually exclusive',
        },
      ],
    },
  );
}

function conditions(description: string): Schema {
  return array(
    description,
    object(
      "One observation of the object's state.",
      {
        type: string('Condition type, e.g. Ready.'),
        status: string('True, False or Unknown.'),
        severity: string('Error, Warning, Info or empty; set only when status is False.'),
        lastTransitionTime: string('When status last changed.', { format: 'date-time' }),
        reason: string('CamelCase reason of the last transition.'),
        message: string('Human-readable details.'),
      },
      { required: ['lastTransitionTime', 'status', 'type'] },
    ),
  );
}

function names(description: string): Schema {
  return object(
    description,
    {
      plural: string('Plural name.'),
      singular: string('Singular name.'),
      shortNames: stringList('Short names.'),
      kind: string('Kind.'),
      listKind: string('Kind of the list.'),
      categories: stringList('Categories, e.g. all.'),
    },
    { required: ['kind', 'plural'] },
  );
}

interface Column {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
}

const readyColumn = (): Column => ({
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
});
const establishedColumn = (): Column => ({
  name: 'Established',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Established")].status',
  priority: 5,
});
const ageColumn = (): Column => ({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });

interface CrdInput {
  group?: string;
  kind: string;
  plural: string;
  scope: 'Cluster' | 'Namespaced';
  shortNames?: string[];
  columns: Column[];
  description: string;
  spec: Schema;
  status: Schema;
  /** Top-level `required` and CEL rules of the object schema. */
  root?: Schema;
}

function crd(input: CrdInput): object {
  const group = input.group ?? KLUTCH_GROUP;
  const singular = input.kind.toLowerCase();
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${input.plural}.${group}` },
    spec: {
      group,
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular,
        ...(input.shortNames ? { shortNames: input.shortNames } : {}),
        categories: [CATEGORY],
      },
      scope: input.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: input.columns,
          schema: {
            openAPIV3Schema: {
              description: input.description,
              type: 'object',
              properties: {
                apiVersion: string('Versioned schema of this object.'),
                kind: string('REST resource this object represents.'),
                metadata: { type: 'object' },
                spec: input.spec,
                status: input.status,
              },
              ...input.root,
            },
          },
        },
      ],
    },
  };
}

function apiServiceBindings(): object {
  return crd({
    kind: 'APIServiceBinding',
    plural: 'apiservicebindings',
    // Namespaced on klutchio main; v1.4.0 and v1.5.0 ship it cluster-scoped.
    scope: 'Cluster',
    shortNames: ['sb'],
    columns: [
      { name: 'Provider', type: 'string', jsonPath: '.status.providerPrettyName' },
      {
        name: 'Resources',
        type: 'string',
        jsonPath: '.metadata.annotations.bind\\.klutch.\\anynines\\.com/resources',
        priority: 1,
      },
      readyColumn(),
      { name: 'Message', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message' },
      ageColumn(),
    ],
    description: 'Binds an API exported by a service provider (an APIServiceExport) into this consumer cluster.',
    spec: object(
      'Which provider API to bind and which of its permission claims are accepted.',
      {
        kubeconfigSecretRef: object(
          'The Secret holding the kubeconfig of the provider cluster.',
          {
            name: string('Secret name.', { minLength: 1 }),
            namespace: string('Secret namespace.', { minLength: 1 }),
            key: string('Key in the Secret; must be kubeconfig.', { enum: ['kubeconfig'] }),
          },
          { required: ['key', 'name', 'namespace'], ...immutable('kubeconfigSecretRef is immutable') },
        ),
        permissionClaims: array(
          "The provider's permission claims with the consumer's decisions; only accepted claims are reconciled.",
          permissionClaim(true),
        ),
      },
      { required: ['kubeconfigSecretRef'] },
    ),
    status: object('Reconciliation state.', {
      providerPrettyName: string('Display name of the provider cluster.'),
      conditions: conditions('Conditions of the binding.'),
    }),
  });
}

function apiServiceExportRequests(): object {
  return crd({
    kind: 'APIServiceExportRequest',
    plural: 'apiserviceexportrequests',
    scope: 'Namespaced',
    columns: [readyColumn(), ageColumn()],
    description: 'A request to export APIs to a consumer; the provider may delete it once handled.',
    spec: object(
      'What to export.',
      {
        parameters: freeform('Provider-specific parameters.', immutable('parameters are immutable')),
        resources: array(
          'The resources to export.',
          object(
            undefined,
            {
              group: groupField(),
              resource: resourceField(),
              versions: stringList('Versions to export; empty lets the provider choose.'),
              permissionClaims: array('Access the provider asks for on the consumer side.', permissionClaim(false)),
            },
            { required: ['resource'] },
          ),
          { minItems: 1, ...immutable('resources are immutable') },
        ),
      },
      { required: ['resources'] },
    ),
    // The default {} comes from upstream's kustomize patch, so that `phase` gets its default on create.
    status: object(
      'Reconciliation state.',
      {
        phase: string('Pending, then Succeeded or Failed.', {
          enum: ['Pending', 'Failed', 'Succeeded'],
          default: 'Pending',
        }),
        terminalMessage: string('Why the request reached its phase.'),
        conditions: conditions('Conditions of the request.'),
      },
      { default: {} },
    ),
    root: { required: ['spec'] },
  });
}

function apiServiceExports(): object {
  const version = object(
    undefined,
    {
      name: string('Version name, e.g. v1.', { minLength: 1, pattern: '^v[1-9][0-9]*([a-z]+[1-9][0-9]*)?$' }),
      served: boolean('Whether the version is served.', { default: true }),
      storage: boolean('Whether this is the storage version.'),
      deprecated: boolean('Whether the version is deprecated.'),
      deprecationWarning: string('Warning returned to clients of a deprecated version.'),
      schema: object(
        'Schema of the version.',
        {
          openAPIV3Schema: {
            type: 'object',
            'x-kubernetes-map-type': 'atomic',
            'x-kubernetes-preserve-unknown-fields': true,
          },
        },
        { required: ['openAPIV3Schema'] },
      ),
      subresources: object('Subresources of the version.', {
        status: { type: 'object' },
        scale: object(
          undefined,
          {
            specReplicasPath: string(),
            statusReplicasPath: string(),
            labelSelectorPath: string(),
          },
          { required: ['specReplicasPath', 'statusReplicasPath'] },
        ),
      }),
      additionalPrinterColumns: array(
        'kubectl columns of the version.',
        object(
          undefined,
          {
            name: string(),
            type: string(),
            format: string(),
            jsonPath: string(),
            priority: { type: 'integer', format: 'int32' },
          },
          { required: ['jsonPath', 'name', 'type'] },
        ),
        { 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-list-type': 'map' },
      ),
    },
    { required: ['name', 'schema', 'served', 'storage'] },
  );

  return crd({
    kind: 'APIServiceExport',
    plural: 'apiserviceexports',
    scope: 'Namespaced',
    columns: [establishedColumn(), ageColumn()],
    description: 'An API the provider exports to one consumer; its spec mirrors a CustomResourceDefinition.',
    spec: object(
      'The exported API.',
      {
        group: string('API group; "" is the core group.'),
        names: names('Names of the exported resource.'),
        scope: string('Scope of the exported resource.', { enum: ['Cluster', 'Namespaced'] }),
        versions: array('Versions of the exported resource.', version, {
          minItems: 1,
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-list-type': 'map',
        }),
        permissionClaims: array('Access the provider asks for on the consumer side.', permissionClaim(false)),
        informerScope: string('Whether the konnector watches cluster-wide or per namespace.', {
          enum: ['Cluster', 'Namespaced'],
          ...immutable('informerScope is immutable'),
        }),
        clusterScopedIsolation: string('How cluster-scoped objects of different consumers are kept apart.', {
          enum: ['Prefixed', 'Namespaced', 'None'],
        }),
      },
      {
        required: ['informerScope'],
        'x-kubernetes-validations': [
          {
            rule: 'self.scope == "Namespaced" || self.informerScope == "Cluster"',
            message: 'informerScope must be Cluster for cluster-scoped resources',
          },
          {
            rule: 'self.scope == "Namespaced" || has(self.clusterScopedIsolation)',
            message: 'clusterScopedIsolation must be defined for cluster-scoped resources',
          },
          {
            rule: 'self.scope == "Cluster" || !has(self.clusterScopedIsolation)',
            message: 'clusterScopedIsolation is not relevant for namespaced resources',
          },
        ],
      },
    ),
    status: object('Reconciliation state.', {
      acceptedNames: names('Names actually served.'),
      storedVersions: stringList('Versions ever persisted.'),
      conditions: conditions('Conditions of the export, set by the konnector.'),
    }),
    root: {
      required: ['spec'],
      'x-kubernetes-validations': [
        {
          rule: 'self.metadata.name == self.spec.names.plural+"."+self.spec.group',
          message: 'informerScope is immutable',
        },
      ],
    },
  });
}

function apiServiceNamespaces(): object {
  return crd({
    kind: 'APIServiceNamespace',
    plural: 'apiservicenamespaces',
    scope: 'Namespaced',
    columns: [{ name: 'Namespace', type: 'string', jsonPath: '.status.namespace' }, ageColumn()],
    description: 'Maps a consumer namespace to a namespace in the provider cluster.',
    spec: { description: 'Empty.', type: 'object' },
    status: object('Reconciliation state.', {
      namespace: string('The namespace created for it in the provider cluster.'),
    }),
  });
}

function clusterBindings(): object {
  return crd({
    kind: 'ClusterBinding',
    plural: 'clusterbindings',
    scope: 'Namespaced',
    columns: [
      { name: 'Konnector Version', type: 'string', jsonPath: '.status.konnectorVersion' },
      { name: 'Last Heartbeat', type: 'date', jsonPath: '.status.lastHeartbeatTime' },
      readyColumn(),
      ageColumn(),
    ],
    description: 'The provider-side record of one bound consumer cluster; one per cluster namespace, named cluster.',
    spec: object(
      'The binding.',
      {
        kubeconfigSecretRef: object(
          'The Secret with the kubeconfig the konnector uses.',
          {
            name: string('Secret name.', { minLength: 1 }),
            key: string('Key in the Secret; must be kubeconfig.', { enum: ['kubeconfig'] }),
          },
          { required: ['key', 'name'], ...immutable('kubeconfigSecretRef is immutable') },
        ),
        providerPrettyName: string('Display name of the provider.', { minLength: 1 }),
        serviceProviderSpec: freeform('Provider-specific data.'),
      },
      { required: ['kubeconfigSecretRef', 'providerPrettyName'] },
    ),
    status: object('Reconciliation state, reported by the konnector.', {
      lastHeartbeatTime: string('Last heartbeat of the konnector.', { format: 'date-time' }),
      heartbeatInterval: string('Expected heartbeat interval.'),
      konnectorVersion: string('Version of the konnector.'),
      conditions: conditions('Conditions of the cluster binding.'),
    }),
    root: {
      required: ['spec'],
      'x-kubernetes-validations': [
        { rule: 'self.metadata.name == "cluster"', message: 'cluster binding name should be cluster' },
      ],
    },
  });
}

/** The five klutch.anynines.com CRDs of klutchio v1.4.0, in upstream file-name order. */
export function klutchCrds(): object[] {
  return [
    apiServiceBindings(),
    apiServiceExportRequests(),
    apiServiceExports(),
    apiServiceNamespaces(),
    clusterBindings(),
  ];
}

/** The APIServiceExportTemplate CRD of the bind backend, for the given API group (e.g.
 * example-backend.klutch.anynines.com). */
export function exportTemplateCrd(group: string): object {
  return crd({
    group,
    kind: 'APIServiceExportTemplate',
    plural: 'apiserviceexporttemplates',
    scope: 'Namespaced',
    columns: [establishedColumn(), ageColumn()],
    description: 'Which resource the backend may export and the permission claims that go with it.',
    spec: object('The exportable resource.', {
      APIServiceSelector: object(
        'The resource to export.',
        {
          group: groupField(),
          resource: resourceField(),
          version: string('Version to export.', { minLength: 1 }),
        },
        { required: ['resource'] },
      ),
      permissionClaims: array('Claims added to every export of this resource.', permissionClaim(false)),
    }),
    status: { type: 'object' },
    root: { required: ['spec'] },
  });
}
