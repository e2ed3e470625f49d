// Package config reads the YAML file of jwtguard serve (and jwtguard verify
// --config): the issuers by preset name, the key store, the rules that map
// a request's host, method and path to a policy, the identity headers sent
// to the upstream, and the listen address.
//
// Every error is reported at once, each with the file's name and the line
// it is about: an unknown field (a typo), a value of the wrong type, a
// preset without its parameters, a rule that cannot be built. See
// docs/authorizer.md for the format.
package config
