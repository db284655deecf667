package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"
)

// The admin API and the database carry the items of the acd section (a
// queue, an agent, a group, a route, an activity) as JSON objects with the
// keys of the file, durations as texts ("15s"): what an admin writes in
// ccd.yaml is what the API takes, and a mistake is named by the same key.

// DecodeItem fills item (a pointer to Queue, Agent, AgentGroup, Route or
// Activity) from a JSON object. A key the item does not have, or a value of
// the wrong type, is an *Error naming the key within the item
// ("overflow[0].after_wait").
func DecodeItem(body []byte, item any) error {
	v := reflect.ValueOf(item)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: DecodeItem needs a pointer to a struct, got %T", item)
	}
	return decodeValue(bytes.TrimSpace(body), v.Elem(), "")
}

func decodeValue(raw []byte, v reflect.Value, key string) error {
	bad := func(problem string) error { return &Error{Key: nameOr(key, "body"), Problem: problem} }
	if v.Type() == durationType {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return bad(`want a duration such as "15s" or "1m30s"`)
		}
		d, err := time.ParseDuration(s)
		if s == "" {
			d, err = 0, nil
		}
		if err != nil {
			return bad(fmt.Sprintf(`want a duration such as "15s" or "1m30s", got %q`, s))
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil || fields == nil {
			return bad("want an object")
		}
		return decodeStruct(fields, v, key)
	case reflect.Pointer:
		if string(raw) == "null" {
			v.SetZero()
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(raw, p.Elem(), key); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return bad("want an array")
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, it := range items {
			if err := decodeValue(it, s.Index(i), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		var entries map[string]json.RawMessage
		if json.Unmarshal(raw, &entries) != nil {
			return bad("want an object")
		}
		m := reflect.MakeMapWithSize(v.Type(), len(entries))
		for _, k := range slices.Sorted(maps.Keys(entries)) {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(entries[k], e, key+"."+k); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k), e)
		}
		v.Set(m)
		return nil
	}
	if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
		return bad("want " + jsonKindOf(v.Kind()))
	}
	return nil
}

func decodeStruct(fields map[string]json.RawMessage, v reflect.Value, key string) error {
	byName := map[string]int{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if name, ok := yamlKey("", t.Field(i)); ok {
			byName[name] = i
		}
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		sub := name
		if key != "" {
			sub = key + "." + name
		}
		i, ok := byName[name]
		if !ok {
			return &Error{Key: sub, Problem: "unknown key"}
		}
		if err := decodeValue(fields[name], v.Field(i), sub); err != nil {
			return err
		}
	}
	return nil
}

func nameOr(key, alt string) string {
	if key == "" {
		return alt
	}
	return key
}

func jsonKindOf(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	default:
		return "an integer"
	}
}

// EncodeItem is the JSON object of an item, with the keys of the file and
// durations as texts.
func EncodeItem(item any) map[string]any {
	out, _ := encodeValue(reflect.ValueOf(item)).(map[string]any)
	return out
}

func encodeValue(v reflect.Value) any {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if name, ok := yamlKey("", t.Field(i)); ok {
				out[name] = encodeValue(v.Field(i))
			}
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return encodeValue(v.Elem())
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = encodeValue(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = encodeValue(v.MapIndex(k))
		}
		return out
	}
	return v.Interface()
}
