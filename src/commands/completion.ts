/** `helper completion`: flags and help; options in options/completion.ts, the script in flows/completion.ts. */
import type { Argv, CommandModule } from 'yargs';
import { completion, SHELLS } from '../flows/completion.ts';
import { completionOptions } from '../options/completion.ts';
import type { RunContext } from '../run-context.ts';
import { handler } from './handler.ts';

export function completionCommand(ctx: RunContext): CommandModule {
  return {
    command: 'completion [shell]',
    describe: 'Print a shell completion script (bash, zsh or fish)',
    builder: (y: Argv) =>
      y
        .positional('shell', { choices: SHELLS, default: 'bash', describe: 'the shell' })
        .example('source <($0 completion bash)', 'complete helper in this bash session')
        .example('$0 completion zsh > "${fpath[1]}/_helper"', 'install for zsh')
        .example('$0 completion fish > ~/.config/fish/completions/helper.fish', 'install for fish'),
    handler: handler(ctx, completionOptions, async () => completion),
  };
}
