/**
 * Shell completion: `helper completion bash|zsh|fish` prints a script that
 * asks `helper __complete <words>` for candidates. The candidates come from
 * the yargs definitions of the command being completed (see cli.ts), so a
 * command registered there completes without more code: its subcommands, its
 * real long flags (no one-letter aliases spelt as `--f`), the choices of a
 * flag that has them, and file names after a path flag (`normalize: true`).
 */
import type { Options, ParseState } from '../options/argv.ts';
import { type CompletionOptions, SHELLS, type Shell } from '../options/completion.ts';
import type { FlowOutcome } from './deps.ts';

export { SHELLS, type Shell };

/** The marker that tells the scripts to complete file names. */
export const FILES = '__files__';

/** Candidates for the word being typed (`cur`), given the state of the words before it. */
export function candidates(s: ParseState, before: string[], cur: string): string[] {
  const o = s.options;
  const prev = before.at(-1);
  if (prev?.startsWith('-') && !prev.includes('=') && prev !== '-' && prev !== '--') {
    const key = keyOf(prev, o);
    if (key && takesValue(key, o)) {
      const choices = o.choices?.[key];
      if (choices?.length) return choices.map(String).filter((c) => c.startsWith(cur));
      if (o.normalize?.includes(key)) return [FILES];
      return [];
    }
  }
  if (cur.startsWith('-')) return flagNames(o).filter((f) => f.startsWith(cur));
  if (s.commands.length === 1 && s.commands[0] === 'completion') return SHELLS.filter((c) => c.startsWith(cur));
  return s.subcommands.filter((c) => c.startsWith(cur));
}

/** The real long flags of a command, sorted: every option key and long alias, not camelCase copies, not hidden ones. */
export function flagNames(o: Options): string[] {
  const hidden = new Set(o.hiddenOptions ?? []);
  const names = new Set<string>();
  const add = (k: string) => {
    if (k.length > 1 && !/[A-Z]/.test(k) && !hidden.has(k) && k !== '$0' && k !== '_') names.add(`--${k}`);
  };
  for (const k of Object.keys(o.key ?? {})) add(k);
  for (const as of Object.values(o.alias ?? {})) for (const a of as) add(a);
  return [...names].sort();
}

function keyOf(flag: string, o: Options): string | undefined {
  const name = flag.replace(/^--?/, '');
  if (o.key && name in o.key && name.length > 1) return canonical(name, o);
  if (flag.startsWith('-') && !flag.startsWith('--')) return canonical(name.slice(-1), o);
  return undefined;
}

function canonical(name: string, o: Options): string | undefined {
  for (const [k, as] of Object.entries(o.alias ?? {})) if (k === name || as.includes(name)) return k;
  return o.key && name in o.key ? name : undefined;
}

function takesValue(key: string, o: Options): boolean {
  return !(o.boolean ?? []).includes(key) && !(o.count ?? []).includes(key);
}

/** The completion script for a shell; `helper` calls `helper __complete` with the words typed so far. */
export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return `# helper completion for bash: source <(helper completion bash), or save it in
# /etc/bash_completion.d/helper (or ~/.local/share/bash-completion/completions/helper)
_helper_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" out
  out="$(helper __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)"
  if [ "$out" = "${FILES}" ]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=( $(compgen -f -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$out" -- "$cur") )
  fi
}
complete -F _helper_complete helper
`;
    case 'zsh':
      return `#compdef helper
# helper completion for zsh: source <(helper completion zsh), or save it as _helper in a directory of $fpath
_helper() {
  local -a out
  out=("\${(@f)$(helper __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ "\${out[1]}" == "${FILES}" ]]; then
    _files
  elif (( \${#out} )) && [[ -n "\${out[1]}" ]]; then
    compadd -- "\${out[@]}"
  fi
}
if (( $+functions[compdef] )); then compdef _helper helper; fi
`;
    case 'fish':
      return `# helper completion for fish: helper completion fish > ~/.config/fish/completions/helper.fish
function __helper_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out (helper __complete $words[2..-1] 2>/dev/null)
    if test "$out[1]" = "${FILES}"
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $out
    end
end
complete -c helper -f -a '(__helper_complete)'
`;
  }
}

/** The command's flow: the script on stdout. */
export async function completion(opts: Readonly<CompletionOptions>): Promise<FlowOutcome> {
  return { stdout: completionScript(opts.shell) };
}
