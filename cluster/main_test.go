package cluster_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test stops its nodes; a driver, transport or applier goroutine left
// running after them is a leak.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
