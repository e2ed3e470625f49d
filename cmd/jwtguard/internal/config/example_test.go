package config_test

import (
	"fmt"

	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
)

func ExampleParse() {
	_, err := config.Parse("jwtguard.yaml", []byte(`
issuers:
  - preset: auth0
    domian: example.us.auth0.com
rules:
  - paths: [admin/*]
`))
	fmt.Println(err)
	// Output:
	// jwtguard.yaml:4: field domian not found in type config.Issuer
	// jwtguard.yaml:3: issuer #1 (auth0): preset auth0 needs domain
	// jwtguard.yaml:6: rule #1: path "admin/*" must start with / (or be *)
}
