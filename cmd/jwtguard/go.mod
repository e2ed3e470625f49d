module github.com/jwtguard/jwtguard/cmd/jwtguard

go 1.26.8

require github.com/jwtguard/jwtguard v0.0.0

require (
	golang.org/x/sync v0.25.0 // indirect
	gopkg.in/yaml.v3 v3.0.1
)

replace github.com/jwtguard/jwtguard => ../..
