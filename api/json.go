package api

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// decodeJSON reads exactly one JSON value into v, refusing unknown fields,
// wrong types and trailing data with 400 malformed_request, and a body
// declared as another media type with 415 unsupported_media_type.
func decodeJSON(c echo.Context, v any) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	return decodeJSONFrom(c.Request().Body, v)
}

// decodeJSONFrom reads exactly one JSON value from a body whose media type
// was checked (requireJSON).
func decodeJSONFrom(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return malformed(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return &domain.Error{Code: domain.CodeMalformed, Detail: "trailing data after the JSON value"}
	}
	return nil
}

func malformed(err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he // body too large
	}
	e := &domain.Error{Code: domain.CodeMalformed, Detail: err.Error()}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		e.Field = domain.Field(te.Field)
	}
	return e
}
