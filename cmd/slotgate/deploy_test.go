package main

import (
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// compose is the part of docker-compose.yml the checks below read.
type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Volumes     []string `yaml:"volumes"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Networks map[string]struct {
			IPv4 string `yaml:"ipv4_address"`
		} `yaml:"networks"`
	} `yaml:"services"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet string `yaml:"subnet"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
	Volumes map[string]any `yaml:"volumes"`
}

// TestComposeFile checks docker-compose.yml as far as a machine without a
// Docker engine can: it parses; the app waits for healthy MySQL and Redis
// and the proxy for a healthy app; every named volume is declared; every
// SLOTGATE_ variable it sets is a documented setting; the app trusts
// forwarded-for from the proxy's fixed address only, inside the network's
// subnet; the proxy's Caddyfile is there. (CI also runs caddy validate.)
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mysql", "redis", "app", "proxy"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("no %s service", name)
		}
	}
	app, proxy := c.Services["app"], c.Services["proxy"]
	for _, dep := range []string{"mysql", "redis"} {
		if app.DependsOn[dep].Condition != "service_healthy" {
			t.Errorf("app does not wait for a healthy %s", dep)
		}
	}
	if proxy.DependsOn["app"].Condition != "service_healthy" {
		t.Error("proxy does not wait for a healthy app")
	}
	for name, s := range c.Services {
		if s.Healthcheck == nil && name != "proxy" {
			t.Errorf("%s has no health check", name)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat("../../" + src); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s uses volume %s, not declared", name, src)
			}
		}
	}
	for k := range app.Environment {
		if strings.HasPrefix(k, "SLOTGATE_") && !strings.Contains(string(readme), "`"+k+"`") {
			t.Errorf("compose sets %s, which README.md does not list as a setting", k)
		}
	}
	trusted := regexp.MustCompile(`:-([0-9.]+)\}$`).FindStringSubmatch(app.Environment["SLOTGATE_TRUSTED_PROXIES"])
	ip := proxy.Networks["default"].IPv4
	if trusted == nil || trusted[1] != ip {
		t.Errorf("app trusts %q, the proxy is at %q", app.Environment["SLOTGATE_TRUSTED_PROXIES"], ip)
	}
	nets := c.Networks["default"].IPAM.Config
	if len(nets) != 1 {
		t.Fatalf("default network subnets: %+v", nets)
	}
	_, subnet, err := net.ParseCIDR(nets[0].Subnet)
	if err != nil || !subnet.Contains(net.ParseIP(ip)) {
		t.Errorf("proxy address %s not in the network %s (%v)", ip, nets[0].Subnet, err)
	}
}

// TestDockerIgnore: the image's build context leaves out the compose
// secrets, the embedded store's data (personal data and the signing key)
// and the repository's history.
func TestDockerIgnore(t *testing.T) {
	raw, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	for _, must := range []string{".env", "slotgate-data/", ".git", "*.db"} {
		if !slices.Contains(lines, must) {
			t.Errorf(".dockerignore does not leave out %s", must)
		}
	}
}

// TestServeGCPercent: the server collects at 200% unless GOGC says
// otherwise; an operator's GOGC (even "100" or "off") is left to the runtime.
func TestServeGCPercent(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if pct, ok := serveGCPercent(getenv); !ok || pct != 200 {
		t.Fatalf("no GOGC: %d %v", pct, ok)
	}
	for _, v := range []string{"100", "off", "400"} {
		env["GOGC"] = v
		if _, ok := serveGCPercent(getenv); ok {
			t.Fatalf("GOGC=%s was overridden", v)
		}
	}
}
