/** completion's options, pure: (argv, env) → frozen options. */

/** The shells `helper completion` writes for; here, not in flows/, because options never import flows. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionOptions {
  shell: Shell;
}

export function completionOptions(argv: Record<string, unknown>, _env: NodeJS.ProcessEnv): Readonly<CompletionOptions> {
  const shell = (SHELLS as readonly unknown[]).includes(argv.shell) ? (argv.shell as Shell) : 'bash';
  return Object.freeze({ shell });
}
