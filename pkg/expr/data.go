package expr

import (
	"errors"
	"fmt"
)

// ErrDataUnavailable is returned (wrapped, e.g. "secret() is not available here") when a data
// function is called but its Env callback is nil.
var ErrDataUnavailable = errors.New("not available here")

// dataFunc describes one data function (docs/expressions.md#data-functions) for its argument checks and errors.
type dataFunc struct {
	// name is the function as called, e.g. sharedSecret.
	name string
	// param names its argument.
	param string
	// what is what it reads, e.g. "shared secret".
	what string
	// secret marks the functions whose values RenderRedacted hides.
	secret bool
	// requireName makes an empty name an error rather than a missing object.
	requireName bool
}

var (
	secretFunc          = &dataFunc{name: "secret", param: "name", what: "secret", secret: true}
	sharedSecretFunc    = &dataFunc{name: "sharedSecret", param: "name", what: "shared secret", secret: true}
	configMapFunc       = &dataFunc{name: "configMap", param: "name", what: "config map"}
	sharedConfigMapFunc = &dataFunc{name: "sharedConfigMap", param: "name", what: "shared config map"}
	freightMetadataFunc = &dataFunc{name: "freightMetadata", param: "freightName", what: "metadata of Freight", requireName: true}
	freightStatusFunc   = &dataFunc{name: "freightStatus", param: "freightName", what: "status of Freight", requireName: true}
	stageMetadataFunc   = &dataFunc{name: "stageMetadata", param: "stageName", what: "metadata of Stage", requireName: true}
)

// dataKey identifies a cached secret or config map.
type dataKey struct {
	fn   *dataFunc
	name string
}

// secret implements secret(name): the Project secret's data, {} if it is missing.
func (ev *evaluation) secret(args ...any) (any, error) {
	return ev.readMap(secretFunc, ev.env.Secret, args)
}

// sharedSecret implements sharedSecret(name): the shared secret's data, {} if it is missing or
// not generic.
func (ev *evaluation) sharedSecret(args ...any) (any, error) {
	return ev.readMap(sharedSecretFunc, ev.env.SharedSecret, args)
}

// configMap implements configMap(name): the Project config map's data, {} if it is missing.
func (ev *evaluation) configMap(args ...any) (any, error) {
	return ev.readMap(configMapFunc, ev.env.ConfigMap, args)
}

// sharedConfigMap implements sharedConfigMap(name): the shared config map's data, {} if it is
// missing.
func (ev *evaluation) sharedConfigMap(args ...any) (any, error) {
	return ev.readMap(sharedConfigMapFunc, ev.env.SharedConfigMap, args)
}

// freightMetadata implements freightMetadata(freightName): the Freight's status.metadata, nil
// if the Freight is missing or has none.
func (ev *evaluation) freightMetadata(args ...any) (any, error) {
	return readObject(freightMetadataFunc, ev.env.FreightMetadata, args)
}

// freightStatus implements freightStatus(freightName): the Freight's status, nil if the
// Freight is missing.
func (ev *evaluation) freightStatus(args ...any) (any, error) {
	return readObject(freightStatusFunc, ev.env.FreightStatus, args)
}

// stageMetadata implements stageMetadata(stageName): the Stage's status.metadata, nil if the
// Stage is missing or has none.
func (ev *evaluation) stageMetadata(args ...any) (any, error) {
	return readObject(stageMetadataFunc, ev.env.StageMetadata, args)
}

// readMap reads a secret or config map through read, once per evaluation and name. A missing
// one, and an empty name, which no object can have, give an empty map, so that missing keys
// read as "".
func (ev *evaluation) readMap(fn *dataFunc, read func(string) (map[string]string, error), args []any) (any, error) {
	name, err := fn.arg(read != nil, args)
	if err != nil {
		return nil, err
	}
	if fn.secret {
		ev.secretReads++
	}
	key := dataKey{fn, name}
	if data, ok := ev.maps[key]; ok {
		return data, nil
	}
	var data map[string]string
	if name != "" {
		if data, err = read(name); err != nil {
			return nil, fmt.Errorf("%s: read %s %q: %w", fn.name, fn.what, name, err)
		}
	}
	if data == nil {
		data = map[string]string{}
	}
	if ev.maps == nil {
		ev.maps = make(map[dataKey]map[string]string)
	}
	ev.maps[key] = data
	return data, nil
}

// readObject reads Freight or Stage state through read on every call. A missing object gives
// nil; so does an empty name where the spec does not make it an error.
func readObject(fn *dataFunc, read func(string) (map[string]any, error), args []any) (any, error) {
	name, err := fn.arg(read != nil, args)
	if err != nil || name == "" {
		return nil, err
	}
	data, err := read(name)
	if err != nil {
		return nil, fmt.Errorf("%s: read %s %q: %w", fn.name, fn.what, name, err)
	}
	if data == nil {
		return nil, nil // an untyped nil, so that ?. and ?? see it
	}
	return data, nil
}

// arg checks that fn is available and was called with one string argument, and returns it.
func (fn *dataFunc) arg(available bool, args []any) (string, error) {
	if !available {
		return "", fmt.Errorf("%s() is %w", fn.name, ErrDataUnavailable)
	}
	if len(args) != 1 {
		return "", fmt.Errorf("%s: expected 1 argument (%s), got %d", fn.name, fn.param, len(args))
	}
	name, ok := args[0].(string)
	if !ok {
		return "", fmt.Errorf("%s: %s must be a string, got %T", fn.name, fn.param, args[0])
	}
	if name == "" && fn.requireName {
		return "", fmt.Errorf("%s: %s must not be empty", fn.name, fn.param)
	}
	return name, nil
}
