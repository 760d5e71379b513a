package config

// Backup is [backup], shale's own table: scheduled backups into a local
// directory (docs/backup.md).
type Backup struct {
	Enabled  bool     `koanf:"enabled"`
	Interval Duration `koanf:"interval"`
	// Directory is where archives go; relative to system.path.
	Directory string `koanf:"directory"`
	KeepLast  int    `koanf:"keep_last"`
	// MaxRate caps how fast a backup reads the database, per second; 0: no
	// cap.
	MaxRate ByteSize `koanf:"max_rate"`
}

func (v *validator) backup(b *Backup) {
	v.positiveWhen(b.Enabled, "backup.interval", b.Interval)
	if b.Enabled {
		v.check(b.Directory != "", "backup.directory", "must not be empty while backups are enabled")
		v.check(b.KeepLast >= 1, "backup.keep_last", "must be at least 1, got %d", b.KeepLast)
		v.check(!b.MaxRate.IsUnlimited(), "backup.max_rate", "must be a size per second, or \"0\" for no cap")
	}
}
