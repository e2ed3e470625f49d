// Package validatorinfo lets jwtguard's own adapters ask an
// *authz.Validator what its exported API does not say, without an import
// cycle and without widening that API: authz sets the functions here when
// it is initialised; adapters call them.
package validatorinfo

// Hooked reports whether v, an *authz.Validator, has validation hooks
// (authz.Hooks.Validate): functions that see every token and may answer in
// the Validator's place. Set by authz.
var Hooked func(v any) bool
