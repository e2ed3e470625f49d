// Command grpc shows jwtguard protecting a gRPC server (package
// adapters/grpcauth), with nothing to set up: it starts an in-process
// OpenID Connect issuer (authztest) and the standard health service on a
// loopback port, with a policy per method:
//
//	/grpc.health.v1.Health/Check   open to callers without a token (probes)
//	/grpc.health.v1.Health/List    scope health:read (the default policy)
//	/grpc.health.v1.Health/Watch   scopes health:read and health:watch
//
// Then it calls the service and prints, for each call, the status code and
// message, the www-authenticate trailer of a rejection, and the caller the
// server found in the claims:
//
//	go -C examples/grpc run .   # from the repository root: a module of its own
//
// It exits with status 1 if any answer is not the expected one.
package main
