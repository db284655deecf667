// Package ccd is the domain contract of the contact center: the error type
// and its codes, the services the ACD offers (AgentControl, CallControl), the
// status types they report, the principals and roles of the interfaces, and
// the kinds of the events written to the log. It depends on nothing else in
// the module, so every layer (acd, the Stasis applications, the HTTP server
// and each integration dialect) codes against it and none against another's
// package.
package ccd
