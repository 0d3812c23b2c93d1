package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/bridge-dev/bridge/internal/suggest"
)

var completionHelp = help{name: "completion", args: "bash|zsh|fish",
	purpose: "print a shell completion script for bridge",
	more: `  bash: source <(bridge completion bash)        (or save it in /etc/bash_completion.d/bridge)
  zsh:  source <(bridge completion zsh)         (in ~/.zshrc, after compinit)
  fish: bridge completion fish > ~/.config/fish/completions/bridge.fish

The script completes commands, dlq's and events' subcommands and each
command's flags, read from the commands' own help, so it is always the binary's.
`}

// completionCmd is one completable command line prefix ("dlq list") and
// its flags, without dashes.
type completionCmd struct {
	words []string
	flags []string
}

// runCompletion is `bridge completion SHELL`.
func runCompletion(args []string, stdout, stderr io.Writer) int {
	fs := completionHelp.newFlagSet()
	if err := fs.Parse(args); err != nil {
		return completionHelp.parseError(err, fs, stdout, stderr)
	}
	if args = fs.Args(); len(args) != 1 {
		return completionHelp.usageError(stderr, "takes one argument, the shell: bash, zsh or fish")
	}
	cmds := completionCommands()
	switch args[0] {
	case "bash":
		writeBashCompletion(stdout, cmds)
	case "zsh":
		// zsh runs the bash script through its bashcompinit layer.
		fmt.Fprint(stdout, "#compdef bridge\nautoload -U +X bashcompinit && bashcompinit\n")
		writeBashCompletion(stdout, cmds)
	case "fish":
		writeFishCompletion(stdout, cmds)
	default:
		hint := ""
		if c, ok := suggest.Closest(args[0], []string{"bash", "zsh", "fish"}); ok {
			hint = fmt.Sprintf(" (did you mean %q?)", c)
		}
		return completionHelp.usageError(stderr, "unknown shell %q%s: bash, zsh or fish", args[0], hint)
	}
	return 0
}

// helpFlag matches a flag at the start of a help line: Go's flag package
// writes "  -name", the settings table "  --name".
var helpFlag = regexp.MustCompile(`(?m)^[ \t]+--?([a-z][a-z0-9-]*)\b`)

// completionCommands asks each command for its help and reads its flags.
func completionCommands() []completionCmd {
	var out []completionCmd
	for _, c := range commands {
		switch c {
		case "help":
			out = append(out, completionCmd{words: []string{c}})
			continue
		case "dlq", "events":
			out = append(out, completionCmd{words: []string{c}})
			for _, sub := range subcommands[c] {
				out = append(out, completionCmd{words: []string{c, sub}, flags: helpFlags(c, sub)})
			}
			continue
		}
		out = append(out, completionCmd{words: []string{c}, flags: helpFlags(c)})
	}
	return out
}

// subcommands are the commands that have some.
var subcommands = map[string][]string{"dlq": {"list", "replay"}, "events": {"list", "get"}}

func helpFlags(words ...string) []string {
	var buf bytes.Buffer
	run(append(slices.Clone(words), "-h"), strings.NewReader(""), &buf, &buf)
	var flags []string
	for _, m := range helpFlag.FindAllStringSubmatch(buf.String(), -1) {
		if !slices.Contains(flags, m[1]) {
			flags = append(flags, m[1])
		}
	}
	return flags
}

func dashed(flags []string) string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = "--" + f
	}
	return strings.Join(out, " ")
}

func writeBashCompletion(w io.Writer, cmds []completionCmd) {
	fmt.Fprintf(w, `# bash completion for bridge (bridge completion bash)
_bridge() {
    local cur=${COMP_WORDS[COMP_CWORD]} flags=""
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W %q -- "$cur"))
        return
    fi
    case "${COMP_WORDS[1]}" in
`, strings.Join(commands, " "))
	for _, c := range cmds {
		if len(c.words) != 1 {
			continue
		}
		name := c.words[0]
		switch {
		case name == "completion":
			fmt.Fprint(w, "    completion) COMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\")); return ;;\n")
		case name == "help":
			fmt.Fprintf(w, "    help) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", strings.Join(commands, " "))
		case subcommands[name] != nil:
			fmt.Fprintf(w, "    %s)\n        if [[ $COMP_CWORD -eq 2 ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n        case \"${COMP_WORDS[2]}\" in\n", name, strings.Join(subcommands[name], " "))
			for _, s := range cmds {
				if len(s.words) == 2 && s.words[0] == name {
					fmt.Fprintf(w, "        %s) flags=%q ;;\n", s.words[1], dashed(s.flags))
				}
			}
			fmt.Fprint(w, "        esac ;;\n")
		default:
			fmt.Fprintf(w, "    %s) flags=%q ;;\n", name, dashed(c.flags))
		}
	}
	fmt.Fprint(w, `    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o filenames -F _bridge bridge
`)
}

func writeFishCompletion(w io.Writer, cmds []completionCmd) {
	fmt.Fprintln(w, "# fish completion for bridge (bridge completion fish)")
	fmt.Fprintln(w, "complete -c bridge -f")
	fmt.Fprintf(w, "complete -c bridge -n __fish_use_subcommand -a %q\n", strings.Join(commands, " "))
	fmt.Fprintf(w, "complete -c bridge -n '__fish_seen_subcommand_from help' -a %q\n", strings.Join(commands, " "))
	fmt.Fprintln(w, "complete -c bridge -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'")
	for _, name := range []string{"dlq", "events"} {
		subs := strings.Join(subcommands[name], " ")
		fmt.Fprintf(w, "complete -c bridge -n '__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s' -a %q\n", name, subs, subs)
	}
	for _, c := range cmds {
		cond := "__fish_seen_subcommand_from " + c.words[0]
		if len(c.words) == 2 {
			cond += "; and __fish_seen_subcommand_from " + c.words[1]
		}
		for _, f := range c.flags {
			fmt.Fprintf(w, "complete -c bridge -n '%s' -l %s -F\n", cond, f)
		}
	}
}
