/**
 * The library's public surface (src/index.ts), one line per export: its name and kind.
 * test/unit/index.test.ts fails on an export added or removed without changing this list.
 * Types are checked in the emitted dist/types/index.d.ts; values in the module itself.
 */
export const SURFACE: Readonly<Record<string, 'function' | 'class' | 'const' | 'type'>> = {
  bind: 'function', createNamespace: 'function', applyManifests: 'function', status: 'function', unbind: 'function',
  controlPlaneInit: 'function', controlPlaneRender: 'function', controlPlaneApply: 'function',
  controlPlaneCheck: 'function', controlPlaneAdopt: 'function',
  HelperError: 'class', UsageError: 'class', InputError: 'class', AuthError: 'class', BackendError: 'class',
  ClusterError: 'class', TimeoutError: 'class', FailedError: 'class', PartialError: 'class', DeletedError: 'class',
  InterruptedError: 'class',
  ERROR_CODES: 'const', ExitCode: 'const',
  ErrorCode: 'type', ExitName: 'type', AcceptedClaim: 'type', Binding: 'type', Files: 'type', Level: 'type',
  LogFormat: 'type', DataServiceName: 'type', ExportRequestState: 'type', Side: 'type', StatusItem: 'type',
  StatusReport: 'type', UnbindAction: 'type', UnbindReport: 'type', CheckReport: 'type', NamespaceResult: 'type',
  Manifest: 'type', ApplyResult: 'type', LogSink: 'type', Transport: 'type', RunOptions: 'type',
  ConnectOptions: 'type', TransportOptions: 'type', KubeconfigSource: 'type', OidcClient: 'type', BindInput: 'type', BindResult: 'type',
  CreateNamespaceInput: 'type', ApplyInput: 'type', StatusInput: 'type', UnbindInput: 'type',
  ControlPlaneValuesInput: 'type', ControlPlaneRenderInput: 'type', ControlPlaneApplyInput: 'type',
  ControlPlaneCheckInput: 'type',
};
