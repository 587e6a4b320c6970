package api_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"slotgate/internal/testkit"
)

// TestPagesForCheckers: what the checkers asked of the pages, over HTTP: a
// meta description on each page in its language, a favicon on the staff
// and admin pages too, admin day links named by what they show, and a
// phone field whose autocomplete fits type=tel. (internal/e2e
// TestPageCheckers runs the Nu HTML checker and axe-core themselves.)
func TestPagesForCheckers(t *testing.T) {
	ta, tokens := gateApp(t, testkit.Modes(t)[0])
	slot := slots(t, ta, "jinyun-mountain", "2026-03-03")[2]
	admin := []string{"Cookie", "slotgate_session=" + strings.TrimPrefix(tokens["admin"], "Bearer ")}
	type page struct {
		path   string
		header []string
	}
	pages := []page{{"/", nil}, {"/?lang=en", nil}, {"/venues/jinyun-mountain", nil}, {"/lookup", nil}, {"/book/" + itoa(slot.ID), nil},
		{"/staff/login", nil}, {"/staff/login?lang=en", nil}, {"/staff/scan", admin}, {"/api/docs", nil}, {"/problems/sold_out", nil},
		{"/admin", admin}, {"/admin?lang=en", admin}, {"/admin/users", admin}, {"/admin/venues/jinyun-mountain/days/2026-03-03?lang=en", admin}}
	descriptions := map[string]bool{}
	telFields, dayLinks := 0, 0
	for _, p := range pages {
		res := ta.Do(t, nil, "GET", p.path, nil, p.header...)
		if res.Status != 200 {
			t.Errorf("%s: %d", p.path, res.Status)
			continue
		}
		doc, err := html.Parse(strings.NewReader(string(res.Body)))
		if err != nil {
			t.Fatal(err)
		}
		var desc, icon string
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				a := map[string]string{}
				for _, at := range n.Attr {
					a[at.Key] = at.Val
				}
				switch {
				case n.Data == "meta" && a["name"] == "description":
					desc = a["content"]
				case n.Data == "link" && a["rel"] == "icon":
					icon = a["href"]
				case n.Data == "input" && a["type"] == "tel":
					telFields++
					if a["autocomplete"] != "tel" {
						t.Errorf("%s: a tel field with autocomplete %q", p.path, a["autocomplete"])
					}
				case n.Data == "a" && (strings.Contains(a["class"], "day") || a["rel"] == "prev" || a["rel"] == "next"):
					// A day link's name is its own text, which holds what it shows.
					dayLinks++
					if a["aria-label"] != "" {
						t.Errorf("%s: a day link named %q by aria-label", p.path, a["aria-label"])
					}
				}
			}
			for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
				walk(ch)
			}
		}
		walk(doc)
		if len([]rune(desc)) < 10 {
			t.Errorf("%s: meta description %q", p.path, desc)
		}
		descriptions[desc] = true
		if icon == "" {
			t.Errorf("%s: no favicon link", p.path)
		} else if r := ta.Do(t, nil, "GET", icon, nil); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "image/svg+xml") {
			t.Errorf("%s: favicon %s answers %d %s", p.path, icon, r.Status, r.Header.Get("Content-Type"))
		}
	}
	if len(descriptions) < len(pages)/2 {
		t.Errorf("only %d different descriptions over %d pages", len(descriptions), len(pages))
	}
	if telFields == 0 || dayLinks < 10 {
		t.Errorf("%d tel fields and %d day links seen; the walk is broken", telFields, dayLinks)
	}
}
