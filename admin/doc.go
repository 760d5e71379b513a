// Package admin holds the operator's tools over HTTP: the dashboard, the
// Prometheus registry behind /metrics, and backup by consistent snapshot export
// and restore.
//
// Imported by listeners/http and cmd/shale. Imports broker.
package admin
