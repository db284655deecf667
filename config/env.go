package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var durationType = reflect.TypeOf(time.Duration(0))

// Key describes one configuration key, for overrides and for the reference in the
// README (`ccd config keys`).
type Key struct {
	Name  string // dotted YAML path
	Env   string
	Value string // current value, secrets masked
}

// Keys lists every leaf key of c in declaration order.
func (c *Config) Keys() []Key {
	var keys []Key
	walk(reflect.ValueOf(c).Elem(), "", func(key string, v reflect.Value) error {
		val := format(v)
		if isSecret(key) && val != "" {
			val = "(set)"
		}
		keys = append(keys, Key{Name: key, Env: EnvName(key), Value: val})
		return nil
	})
	return keys
}

func isSecret(key string) bool {
	return strings.HasSuffix(key, "password") || strings.HasSuffix(key, "secret") || key == "database.url" || strings.HasSuffix(key, "token") ||
		strings.HasSuffix(key, ".dsn") ||
		strings.HasSuffix(key, "hash")
}

func applyEnv(c *Config, env func(string) (string, bool)) error {
	return walk(reflect.ValueOf(c).Elem(), "", func(key string, v reflect.Value) error {
		s, ok := env(EnvName(key))
		if !ok {
			return nil
		}
		if err := set(v, s); err != nil {
			return &Error{Key: key, Problem: err.Error()}
		}
		return nil
	})
}

// yamlKey is the dotted path of a struct field below prefix, by its yaml tag;
// false for a field that is not in the file.
func yamlKey(prefix string, f reflect.StructField) (string, bool) {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" || name == "-" {
		return "", false
	}
	if prefix != "" {
		name = prefix + "." + name
	}
	return name, true
}

// walk calls fn for every leaf field, with its dotted yaml path.
func walk(v reflect.Value, prefix string, fn func(string, reflect.Value) error) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key, ok := yamlKey(prefix, f)
		if !ok {
			continue
		}
		fv := v.Field(i)
		if k := fv.Kind(); k == reflect.Slice || k == reflect.Map {
			continue // lists live in the file only
		}
		if fv.Kind() == reflect.Struct && fv.Type() != durationType {
			if err := walk(fv, key, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(key, fv); err != nil {
			return err
		}
	}
	return nil
}

// set parses s into v; a value it cannot take is described in the words
// the configuration file's errors use.
func set(v reflect.Value, s string) error {
	bad := func() error {
		return fmt.Errorf("want %s, got %q%s", describeType(v.Type()), s, unitHint(s, v.Type()))
	}
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return bad()
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad()
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad()
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

func format(v reflect.Value) string {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	return fmt.Sprint(v.Interface())
}
