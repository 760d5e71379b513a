package wire

// OffsetRef is the prefix shared by the consumer-offset commands.
type OffsetRef struct {
	Consumer      Consumer
	Stream, Topic Identifier
	Partition     OptPartition
}

func (o *OffsetRef) AppendTo(dst []byte) []byte {
	dst = o.Consumer.AppendTo(dst)
	dst = o.Topic.AppendTo(o.Stream.AppendTo(dst))
	return o.Partition.AppendTo(dst)
}

func (o *OffsetRef) read(r *reader) {
	o.Consumer = r.consumer()
	o.Stream, o.Topic = r.ident(), r.ident()
	o.Partition = r.optPartition()
}

func (o *OffsetRef) Decode(b []byte) error { return decodeAll(b, o.read) }

// GetConsumerOffset asks for a consumer's stored offset.
type GetConsumerOffset struct{ OffsetRef }

func (*GetConsumerOffset) Code() Command { return CmdGetConsumerOffset }

// DeleteConsumerOffset deletes a consumer's stored offset.
type DeleteConsumerOffset struct{ OffsetRef }

func (*DeleteConsumerOffset) Code() Command { return CmdDeleteConsumerOffset }

// StoreConsumerOffset stores a consumer's offset.
type StoreConsumerOffset struct {
	OffsetRef
	Offset uint64
}

func (*StoreConsumerOffset) Code() Command { return CmdStoreConsumerOffset }
func (s *StoreConsumerOffset) AppendTo(dst []byte) []byte {
	return appendU64(s.OffsetRef.AppendTo(dst), s.Offset)
}
func (s *StoreConsumerOffset) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		s.OffsetRef.read(r)
		s.Offset = r.u64()
	})
}

// ConsumerOffset is the GetConsumerOffset response.
type ConsumerOffset struct {
	PartitionID   uint32
	CurrentOffset uint64
	StoredOffset  uint64
}

func (c *ConsumerOffset) AppendTo(dst []byte) []byte {
	return appendU64(appendU64(appendU32(dst, c.PartitionID), c.CurrentOffset), c.StoredOffset)
}
func (c *ConsumerOffset) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { c.PartitionID, c.CurrentOffset, c.StoredOffset = r.u32(), r.u64(), r.u64() })
}
