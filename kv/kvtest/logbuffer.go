package kvtest

import (
	"bytes"
	"sync"
)

// LogBuffer is a log or output sink that goroutines of the code under test
// (Pebble's, a listener's, a child process's pipe) write to while the test
// reads it. The zero value is ready to use.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
