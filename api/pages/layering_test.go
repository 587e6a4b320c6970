package pages_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayering keeps the direction of the HTTP packages: api imports none
// of the page packages, and the shared page layer none of the page
// families, so that a page package may import both without a cycle.
func TestLayering(t *testing.T) {
	for dir, banned := range map[string][]string{
		"..": {"slotgate/api/"},
		".":  {"slotgate/api/web", "slotgate/api/staffweb", "slotgate/api/adminweb", "slotgate/internal/"},
	} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range parsed.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, b := range banned {
					if strings.HasPrefix(path, b) {
						t.Errorf("%s imports %s", f, path)
					}
				}
			}
		}
	}
}
