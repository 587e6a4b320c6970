package domain

import "testing"

func TestFieldPathString(t *testing.T) {
	for _, c := range []struct {
		path FieldPath
		want string
	}{
		{Field("phone"), "phone"},
		{Field("name.zh"), "name.zh"},
		{Element("venues", 2), "venues[2]"},
		{ElementField("visitors", 0, "id_number"), "visitors[0].id_number"},
		{ElementField("scans", 11, "scanned_at"), "scans[11].scanned_at"},
		{FieldPath{}, ""},
	} {
		if got := c.path.String(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.path, got, c.want)
		}
		if c.path.IsZero() != (c.want == "") {
			t.Errorf("%#v: IsZero %v", c.path, c.path.IsZero())
		}
	}
	// The first element of a list is not the list itself.
	if Element("visitors", 0) == Field("visitors") {
		t.Error("visitors[0] equals visitors")
	}
}
