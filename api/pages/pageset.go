// Package pages is the layer the page packages share (web for visitors,
// staffweb for the scanner, adminweb for admins): page sets of templates
// on one layout with versioned static files, the language switch and the
// names of days and kinds in both languages, CSRF protection for forms,
// and the security headers every page sends.
//
// It sits between api, whose language, problems and sessions it uses, and
// the page packages; api imports none of them.
package pages

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// Set is a family of server-rendered pages (the visitor's, the
// admin's): templates that each join a shared layout, and static files
// served under a URL prefix with a version taken from their content, so
// that browsers may keep them a year and still see a change.
type Set struct {
	name      string
	templates map[string]*template.Template
	assets    map[string]asset
	prefix    string // the assets' URL, e.g. "/assets/"
}

type asset struct {
	body    []byte
	version string
}

// NewSet reads templates/*.html (layout.html is the layout) and static/*
// from fsys, the page family's folder. Templates may call asset "name" for
// a file's versioned URL, and the given funcs. The static files are served
// under prefix (e.g. "/assets/") by ServeAsset.
func NewSet(name string, fsys fs.FS, prefix string, funcs template.FuncMap) *Set {
	p := NewAssets(name, fsys, prefix)
	all := template.FuncMap{"asset": p.assetURL}
	for k, f := range funcs {
		all[k] = f
	}
	layout := template.Must(template.New("layout.html").Funcs(all).ParseFS(fsys, "templates/layout.html"))
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base != "layout" {
			p.templates[base] = template.Must(template.Must(layout.Clone()).ParseFS(fsys, n))
		}
	}
	return p
}

// NewAssets is a set of static/* files only, served under prefix like a
// Set's, for a page family that keeps its own templates (the staff pages):
// its templates call AssetURL for a file's versioned address.
func NewAssets(name string, fsys fs.FS, prefix string) *Set {
	p := &Set{name: name, prefix: prefix, assets: map[string]asset{}, templates: map[string]*template.Template{}}
	entries, err := fs.ReadDir(fsys, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, "static/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		p.assets[e.Name()] = asset{body: b, version: hex.EncodeToString(sum[:4])}
	}
	return p
}

// AssetURL is a static file's versioned address.
func (p *Set) AssetURL(name string) (string, error) { return p.assetURL(name) }

func (p *Set) assetURL(name string) (string, error) {
	a, ok := p.assets[name]
	if !ok {
		return "", fmt.Errorf("no %s asset %q", p.name, name)
	}
	return p.prefix + name + "?v=" + a.version, nil
}

// Render writes page name with status. The page is made in full before
// anything is sent, so a template fault becomes an error page, not half a page.
func (p *Set) Render(c echo.Context, status int, name string, data any) error {
	t, ok := p.templates[name]
	if !ok {
		return fmt.Errorf("no %s template %q", p.name, name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("render %s page %s: %w", p.name, name, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// ServeAsset answers GET prefix + ":name"; the versioned URL is kept for a year.
func (p *Set) ServeAsset(c echo.Context) error {
	name := c.Param("name")
	a, ok := p.assets[name]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if c.QueryParam("v") == a.version {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "public, max-age=300")
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ctype, a.body)
}
