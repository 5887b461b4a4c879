package expr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// text renders an expression's result into template text (docs/expressions.md#values-and-types): a string verbatim, a
// Version as its String(), anything else as JSON with JSON field names.
func text(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case Version:
		return v.String(), nil
	}
	b, err := marshalJSON(v, "")
	if err != nil {
		return "", fmt.Errorf("render result as JSON: %w", err)
	}
	return string(b), nil
}

// errNotFinite reports a template that coerces to NaN or an infinity, which JSON cannot hold.
var errNotFinite = errors.New("not a JSON number (NaN or infinity); wrap the value in quote()")

// coerce turns a substituted template back into a JSON value (docs/expressions.md#values-and-types). Each parse is tried only
// when the first byte allows it to succeed, since most templates are plain text and a failed
// parse allocates its error.
func coerce(s string) (any, error) {
	s, newline := strings.CutSuffix(s, "\n")
	if len(s) > 1 && strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) {
		return restore(s[1:len(s)-1], newline), nil
	}
	if mayBeFloat(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("coerce %q: %w", s, errNotFinite)
			}
			return f, nil
		}
	}
	if len(s) <= len("false") { // the longest string ParseBool accepts
		if b, err := strconv.ParseBool(s); err == nil {
			return b, nil
		}
	}
	if mayBeJSON(s) {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err == nil {
			return v, nil
		}
	}
	return restore(s, newline), nil
}

// mayBeFloat reports whether s starts like something strconv.ParseFloat accepts: a sign, a
// digit, a point, inf or nan.
func mayBeFloat(s string) bool {
	return s != "" && strings.IndexByte("+-.0123456789iInN", s[0]) >= 0
}

// mayBeJSON reports whether s starts, after JSON white space, like a JSON value.
func mayBeJSON(s string) bool {
	s = strings.TrimLeft(s, " \t\n\r")
	return s != "" && strings.IndexByte(`{["-0123456789tfn`, s[0]) >= 0
}

// restore re-appends the newline coerce removed.
func restore(s string, newline bool) string {
	if newline {
		return s + "\n"
	}
	return s
}
