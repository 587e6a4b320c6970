package domain

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// CodePayload is what a booking's code says about it. The code is this
// payload followed by an Ed25519 signature, in URL-safe base64, so a scanner
// holding only the public key can check it without a connection.
type CodePayload struct {
	BookingID int64
	VenueID   int64
	Date      Date
	SlotID    int64
	PartySize int
}

// CodeSigner signs and checks booking codes.
type CodeSigner interface {
	Sign(msg []byte) []byte
	Verify(msg, sig []byte) bool
	PublicKey() []byte
}

const (
	codeVersion   = 1
	signatureSize = 64
	maxCodeLen    = 256
)

var errBadCode = errors.New("booking code is malformed or its signature does not match")

// EncodeCode writes p as a signed, URL-safe code.
func EncodeCode(p CodePayload, s CodeSigner) string {
	msg := p.marshal()
	return base64.RawURLEncoding.EncodeToString(append(msg, s.Sign(msg)...))
}

// DecodeCode checks a code's signature and returns its payload. Anything
// altered, cut short or padded fails here, before any storage is consulted.
func DecodeCode(code string, s CodeSigner) (CodePayload, error) {
	if len(code) > maxCodeLen {
		return CodePayload{}, errBadCode
	}
	// One spelling per code: strict decoding refuses other unused bits in
	// the last character, and the issued spelling is the only one that
	// encodes back to itself (line breaks, which the decoder skips, do not).
	raw, err := base64.RawURLEncoding.Strict().DecodeString(code)
	if err != nil || len(raw) <= signatureSize || base64.RawURLEncoding.EncodeToString(raw) != code {
		return CodePayload{}, errBadCode
	}
	msg, sig := raw[:len(raw)-signatureSize], raw[len(raw)-signatureSize:]
	if !s.Verify(msg, sig) {
		return CodePayload{}, errBadCode
	}
	p, ok := unmarshalPayload(msg)
	if !ok {
		return CodePayload{}, errBadCode
	}
	return p, nil
}

func (p CodePayload) marshal() []byte {
	b := make([]byte, 0, 1+4*binary.MaxVarintLen64+1)
	b = append(b, codeVersion)
	b = binary.AppendUvarint(b, uint64(p.BookingID))
	b = binary.AppendUvarint(b, uint64(p.VenueID))
	b = binary.AppendUvarint(b, uint64(p.Date.daysSinceEpoch()))
	b = binary.AppendUvarint(b, uint64(p.SlotID))
	return append(b, byte(p.PartySize))
}

func unmarshalPayload(b []byte) (CodePayload, bool) {
	if len(b) < 2 || b[0] != codeVersion {
		return CodePayload{}, false
	}
	b = b[1:]
	var fields [4]uint64
	for i := range fields {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > 1<<62 {
			return CodePayload{}, false
		}
		fields[i], b = v, b[n:]
	}
	if len(b) != 1 || b[0] == 0 {
		return CodePayload{}, false
	}
	return CodePayload{
		BookingID: int64(fields[0]),
		VenueID:   int64(fields[1]),
		Date:      dateFromEpochDays(int64(fields[2])),
		SlotID:    int64(fields[3]),
		PartySize: int(b[0]),
	}, true
}
