// Command shale is the shale server and its tools: serve, and (as they land)
// bench, backup, restore; and the client verbs an operator types, shaped
// like the Iggy CLI's (cli_*.go, docs/cli.md).
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/broker"
)

// exitError carries a specific exit status out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	if err := run(os.Args[1:]); err != nil {
		code, msg := exitCode(err)
		fmt.Fprintln(os.Stderr, "shale:", msg)
		os.Exit(code)
	}
}

func run(args []string) error {
	root := rootCommand()
	root.SetArgs(expandGlobalShorthands(args))
	return root.Execute()
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "shale",
		Short:         "shale: a persistent message-streaming server speaking the Apache Iggy 0.8 protocols",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// --version prints what `shale version` does.
	root.Version = broker.ShaleVersion()
	root.SetVersionTemplate(versionText())
	root.AddCommand(serveCommand(), versionCommand())
	root.AddCommand(benchCommand())
	g := newGlobals()
	root.AddCommand(backupCommand(g), restoreCommand())
	addClientCommands(root, g)
	return root
}
