package api

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

// pageSet is a family of server-rendered pages (the visitor's, the
// admin's): templates that each join a shared layout, and static files
// served under a URL prefix with a version taken from their content, so
// that browsers may keep them a year and still see a change.
type pageSet struct {
	name      string
	templates map[string]*template.Template
	assets    map[string]pageAsset
	prefix    string // the assets' URL, e.g. "/assets/"
}

type pageAsset struct {
	body    []byte
	version string
}

// newPageSet reads dir/templates/*.html (layout.html is the layout) and
// dir/static/* from fsys. Templates may call asset "name" for a file's
// versioned URL, and the given funcs.
func newPageSet(name string, fsys fs.FS, dir, prefix string, funcs template.FuncMap) *pageSet {
	p := &pageSet{name: name, prefix: prefix, assets: map[string]pageAsset{}, templates: map[string]*template.Template{}}
	entries, err := fs.ReadDir(fsys, dir+"/static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, dir+"/static/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		p.assets[e.Name()] = pageAsset{body: b, version: hex.EncodeToString(sum[:4])}
	}
	all := template.FuncMap{"asset": p.assetURL}
	for k, f := range funcs {
		all[k] = f
	}
	layout := template.Must(template.New("layout.html").Funcs(all).ParseFS(fsys, dir+"/templates/layout.html"))
	names, err := fs.Glob(fsys, dir+"/templates/*.html")
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

func (p *pageSet) assetURL(name string) (string, error) {
	a, ok := p.assets[name]
	if !ok {
		return "", fmt.Errorf("no %s asset %q", p.name, name)
	}
	return p.prefix + name + "?v=" + a.version, nil
}

// render writes page name with status. The page is made in full before
// anything is sent, so a template fault becomes an error page, not half a page.
func (p *pageSet) render(c echo.Context, status int, name string, data any) error {
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

// serveAsset answers GET prefix + ":name"; the versioned URL is kept for a year.
func (p *pageSet) serveAsset(c echo.Context) error {
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
