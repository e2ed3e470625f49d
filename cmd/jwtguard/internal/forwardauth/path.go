package forwardauth

import (
	"errors"
	"strings"
)

// errPath is why a request's path could not be normalised; such a request
// is denied.
var errPath = errors.New("path cannot be normalised")

// NormalizePath turns the raw request target a proxy reports (path and
// query, as the client sent it) into the one path rules are matched on, or
// fails. It is strict on purpose: the upstream will read the same raw path
// in its own way, so anything two servers may read differently is refused
// rather than guessed:
//
//   - the query and fragment are cut off; the path must start with "/";
//   - percent-escapes are decoded once; an escaped "/" (%2F), "\" (%5C),
//     NUL or control byte, an escape that is malformed, and a "%" followed
//     by two hex digits after decoding (double encoding, "%252e") fail;
//   - a "\" or ";" anywhere fails (Windows separators; path parameters
//     that Java servers strip: "/admin;x/..");
//   - empty segments (double slashes) are dropped, "." segments removed
//     and ".." segments resolved; a ".." above the root fails.
//
// The result starts with "/" and has no trailing slash unless it is "/".
func NormalizePath(raw string) (string, error) {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if !strings.HasPrefix(raw, "/") {
		return "", errPath
	}
	dec := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return "", errPath
			}
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			if c == '/' || c == '\\' || c == '%' {
				return "", errPath
			}
			i += 2
		}
		if c < 0x20 || c == 0x7f || c == '\\' || c == ';' {
			return "", errPath
		}
		dec = append(dec, c)
	}
	segs := strings.Split(string(dec), "/")
	out := make([]string, 0, len(segs))
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(out) == 0 {
				return "", errPath
			}
			out = out[:len(out)-1]
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/"), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
