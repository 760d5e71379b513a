// Command shale is the shale server and its tools: serve, and (as they land)
// bench, backup, restore and the admin CLI verbs.
package main

import (
	"errors"
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
		fmt.Fprintln(os.Stderr, "shale:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

func run(args []string) error {
	root := rootCommand()
	root.SetArgs(args)
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
	root.AddCommand(backupCommand(), restoreCommand())
	return root
}
