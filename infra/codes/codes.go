// Package codes signs booking codes with Ed25519 and draws them as QR codes.
package codes

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // camera frames
	_ "image/png"
	"strings"

	"github.com/makiuchi-d/gozxing"
	zxingqr "github.com/makiuchi-d/gozxing/qrcode"
	qrcode "github.com/skip2/go-qrcode"
)

// Signer implements domain.CodeSigner with an Ed25519 key.
type Signer struct {
	key ed25519.PrivateKey
}

// NewSigner signs with the key whose 32-byte seed is given.
func NewSigner(seed []byte) (*Signer, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key: need a %d-byte Ed25519 seed, got %d bytes", ed25519.SeedSize, len(seed))
	}
	return &Signer{key: ed25519.NewKeyFromSeed(seed)}, nil
}

// Sign signs msg.
func (s *Signer) Sign(msg []byte) []byte { return ed25519.Sign(s.key, msg) }

// Verify checks sig over msg.
func (s *Signer) Verify(msg, sig []byte) bool {
	return ed25519.Verify(s.key.Public().(ed25519.PublicKey), msg, sig)
}

// PublicKey is what an offline scanner needs to check codes.
func (s *Signer) PublicKey() []byte { return s.key.Public().(ed25519.PublicKey) }

// ParseSeed reads a seed written in hex or base64 (standard or URL-safe,
// padded or not); a 64-byte Ed25519 private key is accepted and its seed used.
func ParseSeed(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if b, err := hex.DecodeString(text); err == nil {
		return seedOf(b)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil {
			return seedOf(b)
		}
	}
	return nil, fmt.Errorf("signing key is neither hex nor base64")
}

func seedOf(b []byte) ([]byte, error) {
	switch len(b) {
	case ed25519.SeedSize:
		return b, nil
	case ed25519.PrivateKeySize:
		return b[:ed25519.SeedSize], nil
	}
	return nil, fmt.Errorf("signing key has %d bytes; want a 32-byte seed", len(b))
}

// Settings is where keys generated once are kept and shared (the store).
type Settings interface {
	Setting(ctx context.Context, name string, generate func() (string, error)) (string, error)
}

// LoadSigner uses the configured seed, or the one kept in the store,
// generating and keeping it on first start: every instance sharing the
// database signs with the same key, and codes survive restarts.
func LoadSigner(ctx context.Context, configured string, settings Settings) (*Signer, error) {
	text := configured
	if text == "" {
		var err error
		text, err = settings.Setting(ctx, "signing_key", randomKey)
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
	}
	seed, err := ParseSeed(text)
	if err != nil {
		return nil, err
	}
	return NewSigner(seed)
}

// LoadIDHashKey returns the key of the ID hash, generated once and kept: it
// must never change while bookings exist, or one person becomes two.
func LoadIDHashKey(ctx context.Context, settings Settings) ([]byte, error) {
	text, err := settings.Setting(ctx, "id_hash_key", randomKey)
	if err != nil {
		return nil, fmt.Errorf("id hash key: %w", err)
	}
	return base64.StdEncoding.DecodeString(text)
}

func randomKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// QR draws text as a PNG QR code of the given size in pixels, with medium
// error correction: enough to survive a scratched phone screen.
func QR(text string, size int) ([]byte, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("draw QR code: %w", err)
	}
	return png, nil
}

// DecodeQR reads the text of the QR code in a PNG or JPEG image: the
// scanner page sends a camera frame when the browser cannot decode itself.
func DecodeQR(data []byte) (string, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("read image: %w", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("read image: %w", err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := zxingqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("find QR code: %w", err)
	}
	return res.GetText(), nil
}
