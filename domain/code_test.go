package domain_test

import (
	"crypto/ed25519"
	"testing"

	"slotgate/domain"
)

type testSigner struct {
	priv ed25519.PrivateKey
}

func newTestSigner() testSigner {
	_, priv, _ := ed25519.GenerateKey(nil)
	return testSigner{priv: priv}
}

func (s testSigner) Sign(msg []byte) []byte { return ed25519.Sign(s.priv, msg) }
func (s testSigner) PublicKey() []byte      { return s.priv.Public().(ed25519.PublicKey) }
func (s testSigner) Verify(msg, sig []byte) bool {
	return ed25519.Verify(s.priv.Public().(ed25519.PublicKey), msg, sig)
}

// TestCodesHaveOneSpelling: a booking code decodes only in the one
// spelling it was issued in: offline scanners compare codes as strings, so
// a second spelling of the same bytes (other unused bits in the last
// character, a line break inside) must not pass.
func TestCodesHaveOneSpelling(t *testing.T) {
	s := newTestSigner()
	d, _ := domain.ParseDate("2026-03-02")
	// Payloads of three lengths: every remainder of base64's groups of three.
	for _, id := range []int64{42, 300, 70000} {
		code := domain.EncodeCode(domain.CodePayload{BookingID: id, VenueID: 3, Date: d, SlotID: 7, PartySize: 2}, s)
		oneSpelling(t, s, code)
	}
}

func oneSpelling(t *testing.T, s domain.CodeSigner, code string) {
	t.Helper()
	if _, err := domain.DecodeCode(code, s); err != nil {
		t.Fatalf("the issued code: %v", err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := code[len(code)-1]
	for i := range len(alphabet) {
		other := code[:len(code)-1] + string(alphabet[i])
		if alphabet[i] == last {
			continue
		}
		if _, err := domain.DecodeCode(other, s); err == nil {
			t.Errorf("a second spelling decodes: %q (issued %q)", other, code)
		}
	}
	for _, other := range []string{code[:10] + "\n" + code[10:], code[:10] + "\r" + code[10:]} {
		if _, err := domain.DecodeCode(other, s); err == nil {
			t.Errorf("a spelling with a line break decodes: %q", other)
		}
	}
}
