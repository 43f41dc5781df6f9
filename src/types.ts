/**
 * The shapes helper reads, as the JSON Schemas in schemas/ define them: the
 * types are generated from the schemas at build time (bin/gen-types.ts →
 * src/types.generated.ts), so a value that passed a schema has exactly the
 * type named here. Objects the backend sends keep unknown fields (index
 * signatures) because they are forwarded to Kubernetes unchanged.
 *
 * binding.json (schemas/binding.schema.json): Binding, one API of it BindingApi.
 * The backend's 200 body (schemas/binding-response.schema.json): BindingResponse,
 *   its ExportRequest, ExportResource and PermissionClaim.
 * The control-plane values file (schemas/control-plane.schema.json):
 *   ControlPlaneValues, EndpointValues, DataServiceValues.
 * `helper status -o json` (schemas/status.schema.json): BindingStatus,
 *   BindingStatusHeartbeat, BindingStatusItem.
 * `helper unbind -o json` (schemas/unbind.schema.json): UnbindJson, UnbindJsonAction.
 * `helper apply -o json` (schemas/apply.schema.json): ApplyJson, ApplyJsonItem.
 *
 * Every type here comes from a schema; none is written by hand.
 */
export type {
  ApplyJson,
  ApplyJsonItem,
  Binding,
  BindingApi,
  BindingResponse,
  BindingStatus,
  BindingStatusHeartbeat,
  BindingStatusItem,
  ControlPlaneValues,
  DataServiceValues,
  EndpointValues,
  ExportRequest,
  ExportResource,
  PermissionClaim,
  UnbindJson,
  UnbindJsonAction,
} from './types.generated.ts';
