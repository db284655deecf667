package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzDecodeFile feeds arbitrary bytes to the loader. It must never panic,
// must report only *FileErrors naming the file, and whatever its check
// passes the decoder must take: a mistake the check misses would reach
// the user in yaml.v3's words. Seeds are the starter file, the test files
// and broken variants of them.
//
//	go test -fuzz=FuzzDecodeFile ./config
func FuzzDecodeFile(f *testing.F) {
	starter := filepath.Join(f.TempDir(), "ccd.yaml")
	if err := WriteStarter(starter); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(starter)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{string(b), minimal, acdFile, acdWith(flowKeys), acdWith(dbFlowKeys),
		"acd:\n  queues:\n    - &q {code: a, service_level: 5s}\n    - {<<: *q, code: b}\n",
		"acd: {queues: [{code: s, service_level: lots}]}\napi: {listen: [1,2]}\n",
		"roles: &r [*r]\n", "a: &a {b: *a}\n", "- x\n", "listen: a\n---\nb: c\n", "[a]: x\n", "\tx: y\n",
		"eventlog: {batch_size: 1.5, flush_interval: 30}\n", "api: {token: {a: b}}\n", "ui: {wallboard: {waiting_red: !!binary aGk=}}\n"} {
		f.Add([]byte(seed))
		f.Add([]byte(seed[:len(seed)/2]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8<<10 {
			return // a configuration's mistakes show in small files
		}
		c := Default()
		err := decodeFile("f.yaml", data, &c)
		for _, e := range unwrap(err) {
			var fe *FileError
			if e == nil {
				continue
			}
			if !errors.As(e, &fe) || fe.File != "f.yaml" || fe.Line < 0 || !strings.HasPrefix(e.Error(), "config: f.yaml") {
				t.Fatalf("not a *FileError naming the file: %#v (%v)", e, e)
			}
		}
		checkForeseesDecoder(t, data)
	})
}

// checkForeseesDecoder: a document the check passes decodes without error,
// except for the decoder's own limit on aliases.
func checkForeseesDecoder(t *testing.T, data []byte) {
	root, err := parseDocument("f.yaml", data)
	if err != nil || root == nil {
		return
	}
	if errs := newChecker("f.yaml", reflect.TypeOf(Config{})).document(root); len(errs) > 0 {
		return
	}
	c := Default()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !strings.Contains(err.Error(), "excessive aliasing") {
		t.Fatalf("the check passed %q, the decoder refused it: %v", data, err)
	}
}
