package api

// OpenAPIPath is exported for the tests in api_test.
var OpenAPIPath = openAPIPath

// apiCodes is every code the server can answer with, as strings.
func APICodes() []string {
	var out []string
	for c := range statusOf {
		out = append(out, string(c))
	}
	return out
}
