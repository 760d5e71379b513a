package client

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"

	"github.com/shalemq/shale/wire"
)

// appendSendBody appends the JSON body of a send-messages request for r's
// partitioning and messages: the bytes encoding/json would produce for the
// equivalent rest.SendMessages (the differential test checks this), written
// in one pass with base64 straight into dst, so a producer over HTTP spends
// its time on the request instead of on reflection and a string per field.
func appendSendBody(dst []byte, r *wire.SendMessages) []byte {
	b64 := base64.StdEncoding
	dst = append(dst, `{"partitioning":{"kind":`...)
	dst = strconv.AppendQuote(dst, r.Partitioning.Kind.Name())
	dst = append(dst, `,"value":"`...)
	dst = b64.AppendEncode(dst, r.Partitioning.Value)
	dst = append(dst, `"},"messages":[`...)
	it := wire.NewMessageIter(r.Messages)
	for i := 0; ; i++ {
		m, ok := it.Next()
		if !ok {
			break
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":"`...)
		dst = appendU128(dst, m.ID())
		dst = append(dst, `","payload":"`...)
		dst = b64.AppendEncode(dst, m.Payload())
		dst = append(dst, '"')
		if h := m.UserHeaders(); len(h) > 0 {
			dst = append(dst, `,"user_headers":"`...)
			dst = b64.AppendEncode(dst, h)
			dst = append(dst, '"')
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// appendU128 appends the decimal form of a little-endian 16-byte id.
func appendU128(dst, id []byte) []byte {
	if binary.LittleEndian.Uint64(id[8:16]) == 0 {
		return strconv.AppendUint(dst, binary.LittleEndian.Uint64(id[0:8]), 10)
	}
	return append(dst, u128String(id)...)
}
