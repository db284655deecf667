package ari

// The model and event types in models_gen.go are generated from the ARI
// Swagger resource listings that Asterisk ships (copied to internal/apidocs).
// To update them for a new Asterisk release, copy its rest-api/api-docs/*.json
// to internal/apidocs and run go generate.

//go:generate go run ./internal/gen -in internal/apidocs -out models_gen.go
