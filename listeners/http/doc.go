// Package http serves Iggy's REST API on Fiber v2: routes, JSON shapes, JWT and
// personal-access-token authentication, Iggy's error bodies. It is also where
// /metrics and the dashboard are mounted.
//
// It translates HTTP into broker calls; it never checks permissions itself.
//
// Imported by cmd/shale. Imports broker, wire and admin.
package http
