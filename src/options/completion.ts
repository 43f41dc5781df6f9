/** completion's options, pure: (argv, env) → frozen options. */
import { SHELLS, type Shell } from '../flows/completion.ts';

export interface CompletionOptions {
  shell: Shell;
}

export function completionOptions(argv: Record<string, unknown>, _env: NodeJS.ProcessEnv): Readonly<CompletionOptions> {
  const shell = (SHELLS as readonly unknown[]).includes(argv.shell) ? argv.shell as Shell : 'bash';
  return Object.freeze({ shell });
}
