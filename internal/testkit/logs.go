package testkit

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"slotgate/internal/app"
)

// logDirVariable names the directory where, when it is set, every test
// instance also writes its log: one file per instance, at debug level and
// with the access log on, so that a checker can read everything a whole
// test run logged (.ci/run runs go run ./internal/logcheck over it).
const logDirVariable = "SLOTGATE_TEST_LOG_DIR"

// unsafeInName is what may not go into a log file's name.
var unsafeInName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// keepLog adds, when SLOTGATE_TEST_LOG_DIR is set, a file of the instance's
// own in that directory to w, and turns on in cfg what a full record needs.
// Whatever w is (a test's buffer, stderr, nowhere) it still gets every line.
func keepLog(t testing.TB, w io.Writer, cfg *app.Config) io.Writer {
	t.Helper()
	dir := os.Getenv(logDirVariable)
	if dir == "" {
		return w
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("%s: %v", logDirVariable, err)
	}
	name := unsafeInName.ReplaceAllString(t.Name(), "_")
	if len(name) > 100 {
		name = name[:100]
	}
	// Packages run their tests in processes of their own, and an instance
	// may restart: the random suffix keeps every instance's file apart.
	f, err := os.OpenFile(filepath.Join(dir, name+"-"+suffix()+".log"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("%s: %v", logDirVariable, err)
	}
	t.Cleanup(func() { _ = f.Close() })
	cfg.LogLevel = slog.LevelDebug
	cfg.AccessLog = true
	return io.MultiWriter(w, f)
}

// LogBuffer collects an instance's logs (Options.Logs) while its requests
// run on other goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
