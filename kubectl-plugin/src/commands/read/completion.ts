// Shell completion. `completion bash|zsh` prints a script; the script (and kubectl 1.26+, through
// the kubectl_complete-acog executable beside the launcher) asks `kubectl-acog __complete -- WORDS`
// for candidates. The answer is in cobra's format, which kubectl reads from plugins: one candidate
// a line, then `:<directive>` (4: no file names; 0: file names are fine).
import { Argument, type Command, type Option } from 'commander';
import { CoreV1Api } from '@kubernetes/client-node';
import { connect, type ConnectionFlags } from '../../kube/config.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { KIND_ALIASES, listObjects, type Kind } from './common.ts';

const DIRECTIVE_DEFAULT = 0;
const DIRECTIVE_NO_FILES = 4;

export interface Completion {
  candidates: string[];
  directive: number;
}

/** Options whose value is a file name: the shell completes those itself. */
const FILE_OPTIONS = new Set(['--kubeconfig', '--filename', '--out', '--file']);

function optionFlags(option: Option): string[] {
  return [option.short, option.long].filter((flag): flag is string => Boolean(flag));
}

function findOption(options: readonly Option[], word: string): Option | undefined {
  return options.find((option) => optionFlags(option).includes(word));
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

/** Lists object names for completion; nothing when the cluster cannot be asked. */
async function objectNames(kind: Kind, flags: ConnectionFlags, env: Record<string, string | undefined>): Promise<string[]> {
  try {
    const connection = connect(flags, env);
    const list = await listObjects(connection, kind, { namespace: connection.namespace });
    return list.items.map((item) => item.metadata.name ?? '');
  } catch {
    return [];
  }
}

async function namespaces(flags: ConnectionFlags, env: Record<string, string | undefined>): Promise<string[]> {
  try {
    const connection = connect(flags, env);
    const list = await connection.kc.makeApiClient(CoreV1Api).listNamespace();
    return list.items.map((ns) => ns.metadata?.name ?? '');
  } catch {
    return [];
  }
}

function contexts(flags: ConnectionFlags, env: Record<string, string | undefined>): string[] {
  try {
    return connect({ kubeconfig: flags.kubeconfig }, env)
      .kc.getContexts()
      .map((context) => context.name);
  } catch {
    return [];
  }
}

/** The kind an argument names: by the argument's own name, or by the type given before it (get, describe). */
function argumentKind(argument: Argument | undefined, positionals: string[]): Kind | undefined {
  const name = argument?.name();
  if (name === 'episode' || name === 'episodes') return 'episode';
  if (name === 'channel' || name === 'channels') return 'channel';
  if ((name === 'name' || name === 'names') && positionals.length) return KIND_ALIASES[positionals[0].toLowerCase()];
  return undefined;
}

/** Candidates for the last word, given the words after `kubectl acog` (the last one being completed, maybe empty). */
export async function complete(program: Command, words: string[], env: Record<string, string | undefined>): Promise<Completion> {
  const current = words.length ? words[words.length - 1] : '';
  const before = words.slice(0, -1);
  const globalOptions = program.options;
  const flags: ConnectionFlags = {};
  let command: Command | undefined;
  const positionals: string[] = [];
  let pending: Option | undefined;

  for (const word of before) {
    if (pending) {
      const name = pending.long;
      if (name === '--kubeconfig') flags.kubeconfig = word;
      if (name === '--context') flags.context = word;
      if (name === '--namespace') flags.namespace = word;
      pending = undefined;
      continue;
    }
    const [flag, inlineValue] =
      word.startsWith('--') && word.includes('=')
        ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]
        : [word, undefined];
    const option = findOption(globalOptions, flag) ?? (command ? findOption(command.options, flag) : undefined);
    if (option) {
      if (option.long === '--all-namespaces') flags.allNamespaces = true;
      if (takesValue(option)) {
        if (inlineValue === undefined) pending = option;
        else if (option.long === '--kubeconfig') flags.kubeconfig = inlineValue;
        else if (option.long === '--context') flags.context = inlineValue;
        else if (option.long === '--namespace') flags.namespace = inlineValue;
      }
      continue;
    }
    if (word.startsWith('-')) continue;
    if (!command) command = program.commands.find((c) => c.name() === word || c.aliases().includes(word));
    else positionals.push(word);
    if (!command) return { candidates: [], directive: DIRECTIVE_NO_FILES };
  }

  const byPrefix = (values: Iterable<string>): Completion => ({
    candidates: [...new Set(values)].filter((value) => value && value.startsWith(current)).sort(),
    directive: DIRECTIVE_NO_FILES,
  });

  if (pending) {
    if (pending.argChoices) return byPrefix(pending.argChoices);
    if (pending.long === '--namespace') return byPrefix(await namespaces(flags, env));
    if (pending.long === '--context') return byPrefix(contexts(flags, env));
    if (pending.long && FILE_OPTIONS.has(pending.long)) return { candidates: [], directive: DIRECTIVE_DEFAULT };
    return { candidates: [], directive: DIRECTIVE_NO_FILES };
  }
  if (current.startsWith('-')) {
    const options = [...globalOptions, ...(command?.options ?? [])].filter((option) => !option.hidden);
    return byPrefix([...options.flatMap((option) => (option.long ? [option.long] : optionFlags(option))), '--help']);
  }
  if (!command) {
    const visible = program
      .createHelp()
      .visibleCommands(program)
      .map((c) => c.name());
    return byPrefix(visible);
  }
  const registered = command.registeredArguments;
  const last = registered[registered.length - 1];
  const argument = registered[positionals.length] ?? (last?.variadic ? last : undefined);
  if (argument?.argChoices) return byPrefix(argument.argChoices);
  // The type of get and describe: the plural names, as kubectl's completion offers them.
  if (argument?.name() === 'type') return byPrefix(['channels', 'episodes']);
  const kind = argumentKind(argument, positionals);
  if (kind) {
    const taken = new Set(argument?.variadic ? positionals.slice(1) : []);
    return byPrefix((await objectNames(kind, flags, env)).filter((name) => !taken.has(name)));
  }
  return { candidates: [], directive: DIRECTIVE_NO_FILES };
}

export function bashScript(): string {
  return `# bash completion for kubectl acog (the kubectl-acog plugin).
# Load it in this shell:   source <(kubectl acog completion bash)
# or for every shell:      kubectl acog completion bash > ~/.local/share/bash-completion/completions/kubectl-acog
# It completes \`kubectl-acog ...\` and, when kubectl's own completion is loaded first, \`kubectl acog ...\`.
# With kubectl 1.26 or later, kubectl_complete-acog on the PATH (it comes with the plugin) does the latter too.

__kubectl_acog_complete() {
    local out directive line
    out=$(kubectl-acog __complete -- "$@" 2>/dev/null) || return 0
    COMPREPLY=()
    directive=4
    while IFS= read -r line; do
        case "$line" in
            :*) directive=\${line#:} ;;
            *) [ -n "$line" ] && COMPREPLY+=("\${line%%$'\\t'*}") ;;
        esac
    done <<< "$out"
    if [ \${#COMPREPLY[@]} -eq 0 ] && [ "$directive" -eq 0 ]; then
        compopt -o default 2>/dev/null
    fi
}

_kubectl_acog() {
    __kubectl_acog_complete "\${COMP_WORDS[@]:1:COMP_CWORD}"
}
complete -F _kubectl_acog kubectl-acog

# \`kubectl acog ...\`: answer for the words after "acog", leave everything else to kubectl.
if declare -F __start_kubectl >/dev/null 2>&1; then
    __kubectl_acog_kubectl() {
        local i
        for ((i = 1; i < COMP_CWORD; i++)); do
            if [ "\${COMP_WORDS[i]}" = acog ]; then
                __kubectl_acog_complete "\${COMP_WORDS[@]:i+1:COMP_CWORD-i}"
                return 0
            fi
        done
        __start_kubectl "$@"
    }
    complete -o default -F __kubectl_acog_kubectl kubectl
fi
`;
}

export function zshScript(): string {
  return `#compdef kubectl-acog
# zsh completion for kubectl acog (the kubectl-acog plugin).
# Load it in this shell:   source <(kubectl acog completion zsh)
# or for every shell:      kubectl acog completion zsh > "\${fpath[1]}/_kubectl-acog"
# It completes \`kubectl-acog ...\` and, when kubectl's own completion is loaded first, \`kubectl acog ...\`.
# With kubectl 1.26 or later, kubectl_complete-acog on the PATH (it comes with the plugin) does the latter too.

__kubectl_acog_complete() {
    local out line directive=4
    local -a candidates
    out=$(kubectl-acog __complete -- "$@" 2>/dev/null) || return 1
    for line in "\${(@f)out}"; do
        case $line in
            :*) directive=\${line#:} ;;
            ?*) candidates+=("\${line%%$'\\t'*}") ;;
        esac
    done
    if (( \${#candidates} )); then
        compadd -- "\${candidates[@]}"
    elif (( directive == 0 )); then
        _files
    else
        return 1
    fi
}

_kubectl_acog() {
    __kubectl_acog_complete "\${(@)words[2,CURRENT]}"
}

if (( \${+functions[_kubectl]} )) && (( ! \${+functions[__kubectl_acog_original]} )); then
    functions[__kubectl_acog_original]=\${functions[_kubectl]}
    _kubectl() {
        local i
        for (( i = 2; i < CURRENT; i++ )); do
            if [[ \${words[i]} == acog ]]; then
                __kubectl_acog_complete "\${(@)words[i+1,CURRENT]}"
                return
            fi
        done
        __kubectl_acog_original "$@"
    }
fi

# Autoloaded from fpath as _kubectl-acog: complete now; sourced: register.
if [[ \${funcstack[1]} == _kubectl-acog ]]; then
    _kubectl_acog "$@"
else
    compdef _kubectl_acog kubectl-acog
fi
`;
}

export const registerCompletion: RegisterCommand = (program, io: CommandIO) => {
  program
    .command('completion')
    .description('Print a shell completion script (commands, flags, episode and channel names).')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      `
Examples:
  source <(kubectl acog completion bash)       # bash, this shell
  source <(kubectl acog completion zsh)        # zsh, this shell (after compinit)

With kubectl 1.26 or later and kubectl's own completion loaded, \`kubectl acog <TAB>\` also completes
through kubectl_complete-acog, which comes with the plugin.`,
    )
    .action((shell: 'bash' | 'zsh') => {
      io.stdout.write(shell === 'bash' ? bashScript() : zshScript());
    });

  program
    .command('__complete', { hidden: true })
    .description('Completion candidates for the words after `kubectl acog` (used by the completion scripts).')
    .argument('[words...]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (words: string[]) => {
      const result = await complete(program, words, io.env);
      io.stdout.write(result.candidates.map((candidate) => `${candidate}\n`).join('') + `:${result.directive}\n`);
    });
};
