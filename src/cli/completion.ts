/**
 * Shell completion scripts for `mx-agent completion bash|zsh|fish`, generated from the command
 * tree itself, so they always offer exactly the commands and options `--help` shows. Profile
 * names after `--profile` come from `mx-agent profiles --json` when the shell asks.
 */
import type { Command, Option } from 'commander';

/** One command, its options and its subcommands, as completion needs them. */
export interface CompletionNode {
  readonly name: string;
  readonly description: string;
  readonly options: readonly string[];
  readonly subcommands: readonly CompletionNode[];
}

/** The shells we write scripts for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** One of SHELLS. */
export type Shell = (typeof SHELLS)[number];

/** The tree under `command`, hidden options and the implicit `help` command left out. */
export function completionTree(command: Command): CompletionNode {
  const options = command.options
    .filter((o: Option) => !o.hidden)
    .flatMap((o: Option) => [o.long, o.short].filter((f): f is string => f !== undefined));
  return {
    name: command.name(),
    description: command.description(),
    options: [...options, '--help'],
    subcommands: command.commands.filter((c) => c.name() !== 'help').map((c) => completionTree(c)),
  };
}

/** The script for `shell`. */
export function completionScript(shell: Shell, root: CompletionNode): string {
  switch (shell) {
    case 'bash':
      return bashScript(root);
    case 'zsh':
      return `#compdef mx-agent\n# mx-agent completion for zsh: eval "$(mx-agent completion zsh)"\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(root)}`;
    case 'fish':
      return fishScript(root);
  }
}

/** Every command path (`''`, `workflow`, `workflow run`) with its node. */
function paths(node: CompletionNode, prefix = ''): [string, CompletionNode][] {
  return [
    [prefix, node],
    ...node.subcommands.flatMap((c) => paths(c, prefix === '' ? c.name : `${prefix} ${c.name}`)),
  ];
}

function bashScript(root: CompletionNode): string {
  const cases = paths(root)
    .map(([path, node]) => {
      const words = [...node.subcommands.map((c) => c.name), ...node.options].join(' ');
      return `    '${path}') words='${words}' ;;`;
    })
    .join('\n');
  return `# mx-agent completion for bash: eval "$(mx-agent completion bash)"
_mx_agent() {
  local cur prev path i word words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$prev" = "--profile" ]; then
    COMPREPLY=( $(compgen -W "$(mx-agent --json profiles 2>/dev/null | grep -o '"name": *"[^"]*"' | sed 's/.*"\\([^"]*\\)"$/\\1/')" -- "$cur") )
    return
  fi
  path=''
  for (( i=1; i<COMP_CWORD; i++ )); do
    word="\${COMP_WORDS[i]}"
    case "$word" in -*) continue ;; esac
    case "\${COMP_WORDS[i-1]}" in --profile) continue ;; esac
    _mx_agent_words "\${path:+$path }$word" && path="\${path:+$path }$word"
  done
  _mx_agent_words "$path"
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
_mx_agent_words() {
  case "$1" in
${cases}
    *) return 1 ;;
  esac
}
complete -o default -F _mx_agent mx-agent
`;
}

function fishScript(root: CompletionNode): string {
  const lines = [
    '# mx-agent completion for fish: mx-agent completion fish | source',
    'complete -c mx-agent -f',
  ];
  lines.push(
    `complete -c mx-agent -l profile -x -a '(mx-agent --json profiles 2>/dev/null | string match -rg \\'"name": *"([^"]*)"\\')'`,
  );
  for (const [path, node] of paths(root)) {
    const seen = path === '' ? [] : path.split(' ');
    const children = node.subcommands.map((c) => c.name);
    const condition = [
      seen.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${seen.at(-1) ?? ''}`,
      ...(children.length > 0 ? [`not __fish_seen_subcommand_from ${children.join(' ')}`] : []),
    ].join('; and ');
    for (const child of node.subcommands)
      lines.push(
        `complete -c mx-agent -n '${condition}' -a ${child.name} -d ${fishQuote(child.description)}`,
      );
    for (const flag of node.options.filter((o) => o.startsWith('--') && o !== '--profile'))
      lines.push(`complete -c mx-agent -n '${condition}' -l ${flag.slice(2)}`);
  }
  return `${lines.join('\n')}\n`;
}

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
