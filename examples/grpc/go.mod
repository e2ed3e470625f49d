module github.com/jwtguard/jwtguard/examples/grpc

go 1.26.8

replace github.com/jwtguard/jwtguard => ../..

replace github.com/jwtguard/jwtguard/adapters/grpcauth => ../../adapters/grpcauth

require (
	github.com/jwtguard/jwtguard v0.0.0-00010101000000-000000000000
	github.com/jwtguard/jwtguard/adapters/grpcauth v0.0.0-00010101000000-000000000000
	google.golang.org/grpc v1.85.0
)

require (
	filippo.io/bigmod v0.1.0 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
