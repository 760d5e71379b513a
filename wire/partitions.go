package wire

// PartitionsChange is the payload of CreatePartitions and DeletePartitions.
type PartitionsChange struct {
	Stream, Topic Identifier
	Count         uint32
}

func (p *PartitionsChange) AppendTo(dst []byte) []byte {
	return appendU32(p.Topic.AppendTo(p.Stream.AppendTo(dst)), p.Count)
}
func (p *PartitionsChange) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { p.Stream, p.Topic, p.Count = r.ident(), r.ident(), r.u32() })
}

// CreatePartitions adds Count partitions after the highest.
type CreatePartitions struct{ PartitionsChange }

func (*CreatePartitions) Code() Command { return CmdCreatePartitions }

// DeletePartitions removes the Count highest partitions.
type DeletePartitions struct{ PartitionsChange }

func (*DeletePartitions) Code() Command { return CmdDeletePartitions }

// DeleteSegments deletes old segments of a partition.
type DeleteSegments struct {
	Stream, Topic Identifier
	PartitionID   uint32
	SegmentsCount uint32
}

func (*DeleteSegments) Code() Command { return CmdDeleteSegments }
func (d *DeleteSegments) AppendTo(dst []byte) []byte {
	return appendU32(appendU32(d.Topic.AppendTo(d.Stream.AppendTo(dst)), d.PartitionID), d.SegmentsCount)
}
func (d *DeleteSegments) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		d.Stream, d.Topic = r.ident(), r.ident()
		d.PartitionID, d.SegmentsCount = r.u32(), r.u32()
	})
}
