package log

import (
	"errors"
	"log/slog"
	"math"
	"time"
)

// Unlimited is the special value of message expiry and max topic size that
// means "never" / "no cap" (docs/protocol/binary.md §2.7).
const Unlimited = math.MaxUint64

// MaxPartitions is the most partitions one CreateTopic or CreatePartitions may
// ask for (docs/protocol/binary.md §4.5).
const MaxPartitions = 1000

// Options configure a Log.
type Options struct {
	// Clock gives the server timestamps stamped into messages. Default
	// time.Now. Tests inject their own.
	Clock func() time.Time

	// DefaultMessageExpiry replaces a CreateTopic expiry of 0, in
	// microseconds; Unlimited means never. Default Unlimited (Iggy's
	// system.topic.message_expiry = "none").
	DefaultMessageExpiry uint64
	// DefaultMaxTopicSize replaces a CreateTopic max size of 0, in bytes;
	// Unlimited means no cap. Default Unlimited.
	DefaultMaxTopicSize uint64
	// SegmentSize is Iggy's system.segment.size: the smallest custom max
	// topic size CreateTopic accepts (error 1019). Default 1 GiB.
	SegmentSize uint64

	// Dedup configures message deduplication by id. Off by default.
	Dedup DedupOptions

	// ChunkSize is the target size of one stored value: an append is cut
	// into values of about this many bytes, each keyed by the offset of its
	// first message. A message larger than ChunkSize is a value of its own.
	// Default 16 KiB (docs/storage.md has the measurements behind it).
	ChunkSize int

	// Logger is the log's logger. Default slog.Default().
	Logger *slog.Logger
}

// DedupOptions configure deduplication by message id (docs/protocol/binary.md §5.4).
type DedupOptions struct {
	Enabled bool
	// MaxEntries is how many ids each partition remembers; 0 = no count cap.
	// Default (when Enabled) 10,000.
	MaxEntries int
	// Expiry is how long an id is remembered; 0 = no time cap. Default 1m.
	Expiry time.Duration
}

// EnsureDefaults fills zero fields with defaults.
func (o *Options) EnsureDefaults() {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.DefaultMessageExpiry == 0 {
		o.DefaultMessageExpiry = Unlimited
	}
	if o.DefaultMaxTopicSize == 0 {
		o.DefaultMaxTopicSize = Unlimited
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = 1 << 30
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = 16 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	var errs []error
	if o.ChunkSize < 4096 {
		errs = append(errs, errors.New("log: chunk size must be at least 4 KiB"))
	}
	if o.Dedup.MaxEntries < 0 {
		errs = append(errs, errors.New("log: dedup max entries must not be negative"))
	}
	if o.DefaultMaxTopicSize != Unlimited && o.DefaultMaxTopicSize < o.SegmentSize {
		errs = append(errs, errors.New("log: default max topic size is below the segment size"))
	}
	return errors.Join(errs...)
}

// micros converts a time to Iggy's microseconds since the epoch.
func micros(t time.Time) uint64 { return uint64(t.UnixMicro()) }
