package gitwaitforpr_test

import "encoding/base64"

func decode64(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}
