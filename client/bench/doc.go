// Package bench is the engine of `shale bench`: it drives an Iggy 0.8 server
// (shale or any other) through package client with producers and consumers
// laid out as iggy-bench lays them out (pinned, balanced, consumer group,
// end to end), records every request it makes, and turns the records into a
// report (throughput per actor and in total, latency percentiles from an
// HdrHistogram, a time series) that can be written as JSON and drawn as an
// SVG chart.
//
// It is not a load generator for arbitrary protocols and holds no server
// code. It imports client and wire only; cmd/shale maps flags onto Config.
package bench
