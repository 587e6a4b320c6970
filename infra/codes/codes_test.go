package codes_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"slotgate/infra/codes"
)

func TestParseSeed(t *testing.T) {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(i * 7)
	}
	private := ed25519.NewKeyFromSeed(seed)
	for name, text := range map[string]string{
		"hex":                  hex.EncodeToString(seed),
		"base64":               base64.StdEncoding.EncodeToString(seed),
		"base64url, unpadded":  base64.RawURLEncoding.EncodeToString(seed),
		"a whole private key":  base64.StdEncoding.EncodeToString(private),
		"hex with white space": "  " + hex.EncodeToString(seed) + "\n",
	} {
		got, err := codes.ParseSeed(text)
		if err != nil || string(got) != string(seed) {
			t.Errorf("%s: %x %v", name, got, err)
		}
	}
	for _, bad := range []string{"", "not a key", hex.EncodeToString(seed[:16]), strings.Repeat("z", 44)} {
		if _, err := codes.ParseSeed(bad); err == nil {
			t.Errorf("ParseSeed(%q) accepted", bad)
		}
	}
}

// memorySettings keeps settings the way the store does: first write wins.
type memorySettings map[string]string

func (m memorySettings) Setting(_ context.Context, name string, generate func() (string, error)) (string, error) {
	if v, ok := m[name]; ok {
		return v, nil
	}
	v, err := generate()
	m[name] = v
	return v, err
}

func TestSignerIsGeneratedOnceAndKept(t *testing.T) {
	settings := memorySettings{}
	a, err := codes.LoadSigner(context.Background(), "", settings)
	if err != nil {
		t.Fatal(err)
	}
	b, err := codes.LoadSigner(context.Background(), "", settings)
	if err != nil {
		t.Fatal(err)
	}
	sig := a.Sign([]byte("booking"))
	if !b.Verify([]byte("booking"), sig) || b.Verify([]byte("bookinG"), sig) || string(a.PublicKey()) != string(b.PublicKey()) {
		t.Fatal("two loads of the kept key do not sign alike")
	}
	configured, err := codes.LoadSigner(context.Background(), hex.EncodeToString(make([]byte, 32)), settings)
	if err != nil || configured.Verify([]byte("booking"), sig) {
		t.Fatalf("a configured key must be used instead of the kept one: %v", err)
	}
	k1, _ := codes.LoadIDHashKey(context.Background(), settings)
	k2, _ := codes.LoadIDHashKey(context.Background(), settings)
	if len(k1) != 32 || string(k1) != string(k2) {
		t.Fatal("the ID hash key must be made once and kept")
	}
}

func TestQRRoundTrip(t *testing.T) {
	text := "AQECsqIBZQLQLbDFNkG44FQt51ME20bvbJvrhmxgTG0xfNwwguTsrJzaWE0F8qJG82WEDmGTjCOhi4K2eTEvDNMpYNQfmlIB"
	png, err := codes.QR(text, 384)
	if err != nil {
		t.Fatal(err)
	}
	got, err := codes.DecodeQR(png)
	if err != nil || got != text {
		t.Fatalf("decoded %q, %v", got, err)
	}
	if _, err := codes.DecodeQR([]byte("not an image")); err == nil {
		t.Fatal("decoded garbage")
	}
}

func TestPasswords(t *testing.T) {
	p := codes.Passwords{Cost: 4}
	h, err := p.Hash("correct horse battery")
	if err != nil || strings.Contains(h, "horse") {
		t.Fatal(err)
	}
	if !p.Check(h, "correct horse battery") || p.Check(h, "correct horse battery!") {
		t.Fatal("bcrypt check")
	}
}
