package wire

import "encoding/binary"

// Frame sizes and limits (docs/protocol/binary.md §1.1, §1.2).
const (
	// RequestHeaderSize is u32 length (code + payload) then u32 code.
	RequestHeaderSize = 8
	// ResponseHeaderSize is u32 status then u32 payload length.
	ResponseHeaderSize = 8
	// MaxControlPayload is the payload limit of every command but
	// SendMessages; a larger one is answered ErrInvalidCommand.
	MaxControlPayload = 10 << 20
)

// ParseRequestHeader reads a request header and returns the payload size
// and the command. A length below 4 (no room for the code) is
// ErrInvalidCommand.
func ParseRequestHeader(b []byte) (payloadLen uint32, code Command, err error) {
	if len(b) < RequestHeaderSize {
		return 0, 0, ErrInvalidCommand
	}
	length := binary.LittleEndian.Uint32(b)
	code = Command(binary.LittleEndian.Uint32(b[4:]))
	if length < 4 {
		return 0, code, ErrInvalidCommand
	}
	return length - 4, code, nil
}

// AppendRequestHeader appends the 8-byte header of a request whose payload
// is payloadLen bytes.
func AppendRequestHeader(dst []byte, code Command, payloadLen int) []byte {
	dst = appendU32(dst, uint32(payloadLen)+4)
	return appendU32(dst, uint32(code))
}

// AppendRequest appends r as a whole frame: header then payload.
func AppendRequest(dst []byte, r Request) []byte {
	start := len(dst)
	dst = AppendRequestHeader(dst, r.Code(), 0)
	dst = r.AppendTo(dst)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// AppendRequestSplit appends r's frame to dst as AppendRequest does, except
// that the message block of a SendMessages is not copied: it is returned
// as tail, to be written right after head (the frame's length field counts
// both). A client sends a large batch with one vectored write instead of
// copying it into its frame buffer. For other requests tail is nil.
func AppendRequestSplit(dst []byte, r Request) (head, tail []byte) {
	s, ok := r.(*SendMessages)
	if !ok {
		return AppendRequest(dst, r), nil
	}
	start := len(dst)
	dst = AppendRequestHeader(dst, r.Code(), 0)
	dst = s.appendHead(dst)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start-4+len(s.Messages)))
	return dst, s.Messages
}

// AppendResponseHeader appends the 8-byte header of a response.
func AppendResponseHeader(dst []byte, status uint32, payloadLen uint32) []byte {
	dst = appendU32(dst, status)
	return appendU32(dst, payloadLen)
}

// PutResponseHeader writes a response header into the first 8 bytes of b.
func PutResponseHeader(b []byte, status uint32, payloadLen uint32) {
	binary.LittleEndian.PutUint32(b, status)
	binary.LittleEndian.PutUint32(b[4:], payloadLen)
}

// ParseResponseHeader reads a response header.
func ParseResponseHeader(b []byte) (status uint32, payloadLen uint32, err error) {
	if len(b) < ResponseHeaderSize {
		return 0, 0, ErrInvalidCommand
	}
	return binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), nil
}
