package authz

// ForgetHeaders empties the Validator's memo of token headers, for tests
// that compare Validate with and without it.
func (v *Validator) ForgetHeaders() {
	for i := range v.headers.slots {
		v.headers.slots[i].Store(nil)
	}
}

// RememberedHeaders returns how many token headers the Validator
// remembers.
func (v *Validator) RememberedHeaders() int {
	n := 0
	for i := range v.headers.slots {
		if v.headers.slots[i].Load() != nil {
			n++
		}
	}
	return n
}
