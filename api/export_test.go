package api

// OpenAPIPath is exported for the tests in api_test.
var OpenAPIPath = openAPIPath
