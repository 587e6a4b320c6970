// Package migrations holds the versioned SQL schema, one folder per dialect.
// Files are named NNNN_what.sql; both folders carry the same versions.
// Statements are separated by a semicolon at the end of a line.
package migrations

import "embed"

// FS holds mysql/*.sql and sqlite/*.sql.
//
//go:embed mysql/*.sql sqlite/*.sql
var FS embed.FS
