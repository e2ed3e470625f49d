package strictjson

import "unicode/utf8"

// unit decodes the unit of string contents at raw[i]: one raw byte, or one
// escape sequence (a surrogate pair counts as one). It returns the unit's
// unescaped bytes in b[:n] and the index after it; ok is false for an
// invalid escape or lone surrogate. raw holds the bytes between the quotes.
func unit[S ~[]byte | ~string](raw S, i int) (b [utf8.UTFMax]byte, n, next int, ok bool) {
	c := raw[i]
	if c != '\\' {
		b[0] = c
		return b, 1, i + 1, true
	}
	if i+1 >= len(raw) {
		return b, 0, 0, false
	}
	switch raw[i+1] {
	case '"', '\\', '/':
		b[0] = raw[i+1]
	case 'b':
		b[0] = '\b'
	case 'f':
		b[0] = '\f'
	case 'n':
		b[0] = '\n'
	case 'r':
		b[0] = '\r'
	case 't':
		b[0] = '\t'
	case 'u':
		r, ok := hex4(raw, i+2)
		if !ok {
			return b, 0, 0, false
		}
		next = i + 6
		if r >= 0xD800 && r <= 0xDFFF {
			if r >= 0xDC00 || next+1 >= len(raw) || raw[next] != '\\' || raw[next+1] != 'u' {
				return b, 0, 0, false
			}
			lo, ok := hex4(raw, next+2)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return b, 0, 0, false
			}
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
			next += 6
		}
		n = utf8.EncodeRune(b[:], r)
		return b, n, next, true
	default:
		return b, 0, 0, false
	}
	return b, 1, i + 2, true
}

// appendUnescaped appends the unescaped form of the string contents raw to
// dst. ok is false if raw has an invalid escape; raw bytes are copied as
// they are (callers validate UTF-8 separately).
func appendUnescaped(dst, raw []byte) (_ []byte, ok bool) {
	for i := 0; i < len(raw); {
		j := i
		for j < len(raw) && raw[j] != '\\' {
			j++
		}
		dst = append(dst, raw[i:j]...)
		if j == len(raw) {
			break
		}
		b, n, next, ok := unit(raw, j)
		if !ok {
			return dst, false
		}
		dst = append(dst, b[:n]...)
		i = next
	}
	return dst, true
}

// equalUnescaped reports whether the string contents a and b are equal after
// unescaping, without allocating. An invalid escape compares unequal.
func equalUnescaped(a, b []byte) bool {
	var ab, bb [utf8.UTFMax]byte
	var an, bn, ai, bi int // pending unescaped bytes: ab[ai:an], bb[bi:bn]
	i, j := 0, 0
	for {
		if ai == an {
			if i == len(a) {
				return bi == bn && j == len(b)
			}
			var ok bool
			if ab, an, i, ok = unit(a, i); !ok {
				return false
			}
			ai = 0
		}
		if bi == bn {
			if j == len(b) {
				return false
			}
			var ok bool
			if bb, bn, j, ok = unit(b, j); !ok {
				return false
			}
			bi = 0
		}
		if ab[ai] != bb[bi] {
			return false
		}
		ai++
		bi++
	}
}

// equalToPlain reports whether the string contents raw unescape to plain,
// without allocating. An invalid escape compares unequal.
func equalToPlain(raw []byte, plain string) bool {
	j := 0
	for i := 0; i < len(raw); {
		b, n, next, ok := unit(raw, i)
		if !ok || j+n > len(plain) || string(b[:n]) != plain[j:j+n] {
			return false
		}
		i, j = next, j+n
	}
	return j == len(plain)
}
