package domain

import "strconv"

// FieldPath is where a field sits in a request: a field ("phone",
// "name.zh"), an element of a list ("venues[2]"), or a field of one
// ("visitors[1].id_number"). The API sends its String; pages read its
// parts to put an error next to its input, instead of parsing the string.
type FieldPath struct {
	Name   string // the field, or the list
	InList bool   // the path is in an element of the list Name
	Index  int    // that element, from 0
	Item   string // the element's field; "" for the whole element
}

// Field is the path of a field at the top of a request.
func Field(name string) FieldPath { return FieldPath{Name: name} }

// Element is the path of element i of list.
func Element(list string, i int) FieldPath { return FieldPath{Name: list, InList: true, Index: i} }

// ElementField is the path of field item of element i of list.
func ElementField(list string, i int, item string) FieldPath {
	return FieldPath{Name: list, InList: true, Index: i, Item: item}
}

// IsZero reports whether p names no field.
func (p FieldPath) IsZero() bool { return p == FieldPath{} }

// String is the path as the API names it: "visitors[1].id_number".
func (p FieldPath) String() string {
	if !p.InList {
		return p.Name
	}
	s := p.Name + "[" + strconv.Itoa(p.Index) + "]"
	if p.Item != "" {
		s += "." + p.Item
	}
	return s
}
