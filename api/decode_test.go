package api_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"net/http"
	"testing"

	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// pngClaiming is a small PNG file whose header claims a w x h picture.
func pngClaiming(w, h uint32) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(kind)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 64*1024)) // a few rows of nothing
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// TestScanDecodeRefusesHugeImages: a camera frame's size is read before
// any decoding, and a picture larger than 4096x4096 is refused (413) though
// its file is small; decodes are limited per staff account, and one
// account's limit does not stop another's.
func TestScanDecodeRefusesHugeImages(t *testing.T) {
	ta, tokens := gateApp(t, testkit.Modes(t)[0], func(c *app.Config) { c.RateLimits = "on" })
	north, librarian := tokens["north"], tokens["librarian"]
	decode := func(auth string, data []byte) testkit.Response {
		return ta.Do(t, nil, "POST", "/api/v1/scans/decode", data, "Authorization", auth, "Content-Type", "image/png")
	}
	huge := pngClaiming(5000, 5000)
	if len(huge) > 100*1024 {
		t.Fatalf("the hostile file is %d bytes", len(huge))
	}
	if res := decode(north, huge); res.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 5000x5000 picture: %d %s", res.Status, res.Body)
	}
	var small bytes.Buffer
	png.Encode(&small, image.NewGray(image.Rect(0, 0, 64, 64)))
	if res := decode(north, small.Bytes()); res.Status != http.StatusUnprocessableEntity || res.Code() != "invalid_code" {
		t.Fatalf("a small frame without a code: %d %s", res.Status, res.Body)
	}
	limited := false
	for range 30 {
		if res := decode(north, small.Bytes()); res.Status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("30 decodes at once from one account were never limited")
	}
	if res := decode(librarian, small.Bytes()); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("another account after the first was limited: %d %s", res.Status, res.Body)
	}
}
