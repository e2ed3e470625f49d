// Package strictjson is the one JSON layer jwtguard reads documents with:
// token headers, claims, JWKs, JWK Sets, OIDC discovery documents and
// stored documents.
//
// encoding/json is lenient in ways an attacker can use to make one token
// mean two things to two readers: it matches member names case-insensitively
// with Unicode folding ("ſcope" fills a field named "scope", "EXP" fills
// "exp"), lets the last of several equal names win, and silently replaces
// invalid UTF-8 with U+FFFD. strictjson accepts only documents that every
// reasonable reader interprets the same way:
//
//   - exactly one value in the RFC 8259 grammar, with strict numbers and
//     only space, tab, line feed and carriage return as whitespace;
//   - every string valid UTF-8, both as raw bytes and after unescaping
//     (a lone or unpaired surrogate escape such as "\ud800" is rejected);
//   - no object with two members of the same name, compared byte for byte
//     after unescaping ("a\u0062" duplicates "ab"), at any nesting level;
//   - nesting no deeper than [MaxDepth].
//
// [Valid] performs that check in one pass without heap allocations for
// ordinary documents. [Object], [Array], [Kind], [Unquote] and [Lookup] then
// read the accepted bytes in place, and [Value] and [Decode] convert them to
// Go values; Decode matches struct fields to member names exactly.
//
// Errors never contain bytes of the document, whose names and values come
// from attackers: an [*Error] carries a sentinel, a byte offset and, for
// type errors, only the Go-side name of the member that did not fit.
package strictjson
