/**
 * helper as a library: the verbs as functions with plain typed inputs (sane
 * defaults, nothing argv-shaped) and typed results, one module per verb under
 * lib/ (so that the CLI, built on the same functions, loads only its verb's).
 *
 * Nothing global: every call runs in a scope of its own (lib/run.ts, log.ts
 * runInScope) with the caller's logger (none: nothing is written anywhere), a
 * secret registry of its own (every line handed to the logger is redacted)
 * and the caller's environment (proxy variables, $KUBECONFIG; none: {}). The
 * signal, the clock, the file access and the undici dispatcher are passed in.
 * The reports are the report model's own types (report/, status/, unbind/,
 * control-plane/check.ts). The public surface is listed in
 * test/helpers/library-surface.ts.
 */
export type { AcceptedClaim } from './backend/answer.ts';
export type { CheckItem, CheckReport, CheckVerdict, Status as CheckStatus } from './control-plane/check.ts';
export type { DataServiceName } from './control-plane/values.ts';
export {
  AuthError,
  BackendError,
  ClusterError,
  DeletedError,
  ERROR_CODES,
  ExitCode,
  FailedError,
  HelperError,
  InputError,
  InterruptedError,
  PartialError,
  TimeoutError,
  UsageError,
  type ErrorCode,
  type ExitName,
} from './errors.ts';
export type {
  ApplyAction,
  ApplyObject as Manifest,
  ApplyResult,
  ExportRequestAction,
  ExportRequestState,
  NamespaceResult,
} from './kube/results.ts';
export { type ApplyInput, applyManifests } from './lib/apply.ts';
export { type BindInput, type BindResult, bind, type OidcClient } from './lib/bind.ts';
export {
  type ControlPlaneApplyInput,
  type ControlPlaneCheckInput,
  type ControlPlaneRenderInput,
  type ControlPlaneValuesInput,
  controlPlaneAdopt,
  controlPlaneApply,
  controlPlaneCheck,
  controlPlaneInit,
  controlPlaneRender,
} from './lib/control-plane.ts';
export { type CreateNamespaceInput, createNamespace } from './lib/namespace.ts';
export type {
  ConnectOptions,
  Files,
  KubeconfigSource,
  LogSink,
  RunOptions,
  Transport,
  TransportOptions,
} from './lib/run.ts';
export { type StatusInput, status } from './lib/status.ts';
export { type UnbindInput, unbind } from './lib/unbind.ts';
export type { Level, LogFormat } from './log.ts';
export type { Report, ReportItem, Side } from './report/model.ts';
export type {
  KonnectorHeartbeat,
  StatusItem,
  StatusOverall,
  StatusReport,
  StatusVerdict,
} from './status/report.ts';
export type { Binding } from './types.ts';
export type { UnbindItem, UnbindOverall, UnbindReport, UnbindVerdict } from './unbind/report.ts';
