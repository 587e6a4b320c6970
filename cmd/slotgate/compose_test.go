package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// TestComposeFileLoadsInCompose loads docker-compose.yml with compose-go,
// the loader Docker Compose itself runs: the file is checked against the
// Compose specification's schema, its variables are interpolated and the
// project is checked for consistency (services named in depends_on exist,
// volumes and networks used are declared), as `docker compose config`
// would, on a machine without a Docker engine.
func TestComposeFileLoadsInCompose(t *testing.T) {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []map[string]string{
		{}, // a trial: every secret left to its default
		{"MYSQL_PASSWORD": "s3cret", "SLOTGATE_SITE": "booking.example.org", "SLOTGATE_SIGNING_KEY": "k"},
	} {
		p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
			WorkingDir:  dir,
			ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "docker-compose.yml")}},
			Environment: env,
		}, func(o *loader.Options) { o.SetProjectName("slotgate", true) })
		if err != nil {
			t.Fatalf("docker compose would refuse docker-compose.yml (env %v): %v", env, err)
		}
		app, err := p.GetService("app")
		if err != nil {
			t.Fatal(err)
		}
		dsn := app.Environment["SLOTGATE_MYSQL_DSN"]
		want := "slotgate-trial"
		if pw, ok := env["MYSQL_PASSWORD"]; ok {
			want = pw
		}
		if dsn == nil || !strings.HasPrefix(*dsn, "slotgate:"+want+"@tcp(mysql:3306)/") {
			t.Errorf("the app's DSN after interpolation: %v", dsn)
		}
		if app.Build == nil || app.Build.Context != dir {
			t.Errorf("the app is not built from the repository: %+v", app.Build)
		}
		proxy, err := p.GetService("proxy")
		if err != nil {
			t.Fatal(err)
		}
		if site := proxy.Environment["SLOTGATE_SITE"]; site == nil || (env["SLOTGATE_SITE"] != "" && *site != env["SLOTGATE_SITE"]) {
			t.Errorf("the proxy's site: %v", site)
		}
		for _, name := range []string{"mysql", "redis", "app", "proxy"} {
			if _, err := p.GetService(name); err != nil {
				t.Errorf("service %s: %v", name, err)
			}
		}
	}
}
