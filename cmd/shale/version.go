package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/broker"
)

// versionInfo is what `shale version --json` prints.
type versionInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Go       string `json:"go"`
	Protocol string `json:"iggy_protocol"`
}

func currentVersion() versionInfo {
	return versionInfo{Version: broker.ShaleVersion(), Commit: broker.ShaleCommit(),
		Go: broker.GoVersion(), Protocol: broker.ProtocolVersion}
}

func versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print shale's version, commit, Go version and the Iggy protocol version it speaks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printVersion(cmd.OutOrStdout(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func printVersion(w io.Writer, asJSON bool) error {
	v := currentVersion()
	if asJSON {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintf(w, "shale %s\ncommit %s\n%s\niggy protocol %s\n", v.Version, v.Commit, v.Go, v.Protocol)
	return err
}

// versionText is printVersion's text, escaped for cobra's version template.
func versionText() string {
	var b strings.Builder
	_ = printVersion(&b, false)
	return strings.ReplaceAll(b.String(), "{{", `{{"{{"}}`)
}
